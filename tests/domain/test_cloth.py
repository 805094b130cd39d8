import pytest

from fw_kernel.domain.cloth import cloth_params, drape_coefficient
from fw_kernel.domain.errors import ValidationError


def test_weight_maps_to_mass_and_stiffness_orders():
    silk = cloth_params({"weight_gsm": 65, "thickness_mm": 0.12, "stretch": "none", "drape": 0.95,
                         "composition": {"silk": 100}})
    denim = cloth_params({"weight_gsm": 340, "thickness_mm": 0.8, "stretch": "two_way", "drape": 0.25})
    jersey = cloth_params({"weight_gsm": 180, "thickness_mm": 0.5, "stretch": "four_way", "drape": 0.7})
    assert silk.mass_per_area == pytest.approx(0.065)
    assert silk.bending_rigidity < jersey.bending_rigidity < denim.bending_rigidity
    assert jersey.stretch_ke < denim.stretch_ke < silk.stretch_ke
    assert silk.woven and not jersey.woven
    assert silk.friction < jersey.friction


def test_bad_physical_data_is_refused():
    with pytest.raises(ValidationError, match="stretch"):
        cloth_params({"weight_gsm": 100, "stretch": "sideways"})
    with pytest.raises(ValidationError, match="weight_gsm"):
        cloth_params({"stretch": "none"})


def test_drape_coefficient_bounds():
    import math
    assert drape_coefficient(math.pi * 0.15 ** 2) == pytest.approx(1.0)
    assert drape_coefficient(math.pi * 0.09 ** 2) == pytest.approx(0.0)


def test_leather_bends_as_a_sheet_and_the_mapping_is_versioned():
    from fw_kernel.domain.cloth import MAPPING_VERSION

    leather = cloth_params({"weight_gsm": 560, "thickness_mm": 0.8, "stretch": "none", "drape": 0.35,
                            "composition": {"leather": 100}})
    cloth = cloth_params({"weight_gsm": 560, "thickness_mm": 0.8, "stretch": "none", "drape": 0.35,
                          "composition": {"wool": 100}})
    assert leather.bending_length_m == pytest.approx(1.6 * cloth.bending_length_m)
    assert leather.friction > cloth.friction
    assert MAPPING_VERSION.startswith("cloth-map-")
