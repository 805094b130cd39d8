"""Progress bars: ipywidgets in a notebook, tqdm on a terminal."""

from __future__ import annotations

from collections.abc import Callable


def _progress_bar(label: str) -> Callable[..., None]:
    """ipywidgets in a notebook, a text bar on a terminal (stderr)."""
    try:
        from IPython import get_ipython

        if get_ipython() is not None and "IPKernelApp" in get_ipython().config:
            import ipywidgets
            from IPython.display import display

            widget = ipywidgets.IntProgress(min=0, max=100, description=label)
            display(widget)  # type: ignore[no-untyped-call]

            def show(value: int, failed: bool = False) -> None:
                widget.value = value
                if failed:
                    widget.bar_style = "danger"

            return show
    except ImportError:
        pass
    from tqdm import tqdm

    bar = tqdm(total=100, desc=label, unit="%", bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}")

    def text(value: int, failed: bool = False) -> None:
        bar.update(max(0, value - bar.n))
        if value >= 100 or failed:
            bar.close()

    return text
