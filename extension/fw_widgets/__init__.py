"""Studio widgets (ipywidgets + pythreejs): arrive with the studio issue; they use only fw_kernel\x27s public API."""
