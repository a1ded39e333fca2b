"""The API's value tables, spelled exactly as the API spells them (reference/ideogram-api.md §2).

Each table is a `Literal` type (so request models are checked by mypy and pydantic alike) plus a tuple of its
values derived from it with `get_args`, so there is one copy of every list. Only the public values are here:
the full spec's hidden ones (`BALANCED`, `CUSTOM`, `STYLIZED`, model `AUTO`) cannot be priced or are internal.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Operation = Literal["generate", "remix", "edit", "reframe", "replace_background", "upscale", "describe"]
V3Model = Literal["V_3"]
LegacyModel = Literal["V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO"]
LegacyEditModel = Literal["V_2", "V_2_TURBO"]
RenderingSpeed = Literal["FLASH", "TURBO", "DEFAULT", "QUALITY"]
MagicPrompt = Literal["AUTO", "ON", "OFF"]
StyleTypeV3 = Literal["AUTO", "GENERAL", "REALISTIC", "DESIGN", "FICTION"]
LegacyStyleType = Literal["AUTO", "GENERAL", "FICTION", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME"]
DescribeModelVersion = Literal["V_2", "V_3"]

AspectRatioV3 = Literal[
    "1x3",
    "3x1",
    "1x2",
    "2x1",
    "9x16",
    "16x9",
    "10x16",
    "16x10",
    "2x3",
    "3x2",
    "3x4",
    "4x3",
    "4x5",
    "5x4",
    "1x1",
]
LegacyAspectRatio = Literal[
    "ASPECT_10_16",
    "ASPECT_16_10",
    "ASPECT_9_16",
    "ASPECT_16_9",
    "ASPECT_3_2",
    "ASPECT_2_3",
    "ASPECT_4_3",
    "ASPECT_3_4",
    "ASPECT_1_1",
    "ASPECT_1_3",
    "ASPECT_3_1",
]
ResolutionV3 = Literal[
    "512x1536",
    "576x1408",
    "576x1472",
    "576x1536",
    "640x1344",
    "640x1408",
    "640x1472",
    "640x1536",
    "704x1152",
    "704x1216",
    "704x1280",
    "704x1344",
    "704x1408",
    "704x1472",
    "736x1312",
    "768x1088",
    "768x1216",
    "768x1280",
    "768x1344",
    "800x1280",
    "832x960",
    "832x1024",
    "832x1088",
    "832x1152",
    "832x1216",
    "832x1248",
    "864x1152",
    "896x960",
    "896x1024",
    "896x1088",
    "896x1120",
    "896x1152",
    "960x832",
    "960x896",
    "960x1024",
    "960x1088",
    "1024x832",
    "1024x896",
    "1024x960",
    "1024x1024",
    "1088x768",
    "1088x832",
    "1088x896",
    "1088x960",
    "1120x896",
    "1152x704",
    "1152x832",
    "1152x864",
    "1152x896",
    "1216x704",
    "1216x768",
    "1216x832",
    "1248x832",
    "1280x704",
    "1280x768",
    "1280x800",
    "1312x736",
    "1344x640",
    "1344x704",
    "1344x768",
    "1408x576",
    "1408x640",
    "1408x704",
    "1472x576",
    "1472x640",
    "1472x704",
    "1536x512",
    "1536x576",
    "1536x640",
]
LegacyResolution = Literal[
    "RESOLUTION_512_1536",
    "RESOLUTION_576_1408",
    "RESOLUTION_576_1472",
    "RESOLUTION_576_1536",
    "RESOLUTION_640_1024",
    "RESOLUTION_640_1344",
    "RESOLUTION_640_1408",
    "RESOLUTION_640_1472",
    "RESOLUTION_640_1536",
    "RESOLUTION_704_1152",
    "RESOLUTION_704_1216",
    "RESOLUTION_704_1280",
    "RESOLUTION_704_1344",
    "RESOLUTION_704_1408",
    "RESOLUTION_704_1472",
    "RESOLUTION_720_1280",
    "RESOLUTION_736_1312",
    "RESOLUTION_768_1024",
    "RESOLUTION_768_1088",
    "RESOLUTION_768_1152",
    "RESOLUTION_768_1216",
    "RESOLUTION_768_1232",
    "RESOLUTION_768_1280",
    "RESOLUTION_768_1344",
    "RESOLUTION_832_960",
    "RESOLUTION_832_1024",
    "RESOLUTION_832_1088",
    "RESOLUTION_832_1152",
    "RESOLUTION_832_1216",
    "RESOLUTION_832_1248",
    "RESOLUTION_864_1152",
    "RESOLUTION_896_960",
    "RESOLUTION_896_1024",
    "RESOLUTION_896_1088",
    "RESOLUTION_896_1120",
    "RESOLUTION_896_1152",
    "RESOLUTION_960_832",
    "RESOLUTION_960_896",
    "RESOLUTION_960_1024",
    "RESOLUTION_960_1088",
    "RESOLUTION_1024_640",
    "RESOLUTION_1024_768",
    "RESOLUTION_1024_832",
    "RESOLUTION_1024_896",
    "RESOLUTION_1024_960",
    "RESOLUTION_1024_1024",
    "RESOLUTION_1088_768",
    "RESOLUTION_1088_832",
    "RESOLUTION_1088_896",
    "RESOLUTION_1088_960",
    "RESOLUTION_1120_896",
    "RESOLUTION_1152_704",
    "RESOLUTION_1152_768",
    "RESOLUTION_1152_832",
    "RESOLUTION_1152_864",
    "RESOLUTION_1152_896",
    "RESOLUTION_1216_704",
    "RESOLUTION_1216_768",
    "RESOLUTION_1216_832",
    "RESOLUTION_1232_768",
    "RESOLUTION_1248_832",
    "RESOLUTION_1280_704",
    "RESOLUTION_1280_720",
    "RESOLUTION_1280_768",
    "RESOLUTION_1280_800",
    "RESOLUTION_1312_736",
    "RESOLUTION_1344_640",
    "RESOLUTION_1344_704",
    "RESOLUTION_1344_768",
    "RESOLUTION_1408_576",
    "RESOLUTION_1408_640",
    "RESOLUTION_1408_704",
    "RESOLUTION_1472_576",
    "RESOLUTION_1472_640",
    "RESOLUTION_1472_704",
    "RESOLUTION_1536_512",
    "RESOLUTION_1536_576",
    "RESOLUTION_1536_640",
]
StylePreset = Literal[
    "80S_ILLUSTRATION",
    "90S_NOSTALGIA",
    "ABSTRACT_ORGANIC",
    "ANALOG_NOSTALGIA",
    "ART_BRUT",
    "ART_DECO",
    "ART_POSTER",
    "AURA",
    "AVANT_GARDE",
    "BAUHAUS",
    "BLUEPRINT",
    "BLURRY_MOTION",
    "BRIGHT_ART",
    "C4D_CARTOON",
    "CHILDRENS_BOOK",
    "COLLAGE",
    "COLORING_BOOK_I",
    "COLORING_BOOK_II",
    "CUBISM",
    "DARK_AURA",
    "DOODLE",
    "DOUBLE_EXPOSURE",
    "DRAMATIC_CINEMA",
    "EDITORIAL",
    "EMOTIONAL_MINIMAL",
    "ETHEREAL_PARTY",
    "EXPIRED_FILM",
    "FLAT_ART",
    "FLAT_VECTOR",
    "FOREST_REVERIE",
    "GEO_MINIMALIST",
    "GLASS_PRISM",
    "GOLDEN_HOUR",
    "GRAFFITI_I",
    "GRAFFITI_II",
    "HALFTONE_PRINT",
    "HIGH_CONTRAST",
    "HIPPIE_ERA",
    "ICONIC",
    "JAPANDI_FUSION",
    "JAZZY",
    "LONG_EXPOSURE",
    "MAGAZINE_EDITORIAL",
    "MINIMAL_ILLUSTRATION",
    "MIXED_MEDIA",
    "MONOCHROME",
    "NIGHTLIFE",
    "OIL_PAINTING",
    "OLD_CARTOONS",
    "PAINT_GESTURE",
    "POP_ART",
    "RETRO_ETCHING",
    "RIVIERA_POP",
    "SPOTLIGHT_80S",
    "STYLIZED_RED",
    "SURREAL_COLLAGE",
    "TRAVEL_POSTER",
    "VINTAGE_GEO",
    "VINTAGE_POSTER",
    "WATERCOLOR",
    "WEIRD",
    "WOODBLOCK_PRINT",
]
ColorPalettePreset = Literal[
    "EMBER",
    "FRESH",
    "JUNGLE",
    "MAGIC",
    "MELON",
    "MOSAIC",
    "PASTEL",
    "ULTRAMARINE",
]

OPERATIONS: Final[tuple[Operation, ...]] = get_args(Operation)
V3_MODEL: Final[V3Model] = "V_3"
LEGACY_MODELS: Final[tuple[LegacyModel, ...]] = get_args(LegacyModel)
MODELS: Final[tuple[str, ...]] = (V3_MODEL, *LEGACY_MODELS)
LEGACY_EDIT_MODELS: Final[tuple[LegacyEditModel, ...]] = get_args(LegacyEditModel)
RENDERING_SPEEDS: Final[tuple[RenderingSpeed, ...]] = get_args(RenderingSpeed)
MAGIC_PROMPT_OPTIONS: Final[tuple[MagicPrompt, ...]] = get_args(MagicPrompt)
STYLE_TYPES_V3: Final[tuple[StyleTypeV3, ...]] = get_args(StyleTypeV3)
LEGACY_STYLE_TYPES: Final[tuple[LegacyStyleType, ...]] = get_args(LegacyStyleType)
LEGACY_ONLY_STYLE_TYPES: Final[tuple[str, ...]] = tuple(s for s in LEGACY_STYLE_TYPES if s not in STYLE_TYPES_V3)
DESCRIBE_MODEL_VERSIONS: Final[tuple[DescribeModelVersion, ...]] = get_args(DescribeModelVersion)
ASPECT_RATIOS_V3: Final[tuple[AspectRatioV3, ...]] = get_args(AspectRatioV3)
LEGACY_ASPECT_RATIOS: Final[tuple[LegacyAspectRatio, ...]] = get_args(LegacyAspectRatio)
RESOLUTIONS_V3: Final[tuple[ResolutionV3, ...]] = get_args(ResolutionV3)
LEGACY_RESOLUTIONS: Final[tuple[LegacyResolution, ...]] = get_args(LegacyResolution)
STYLE_PRESETS: Final[tuple[StylePreset, ...]] = get_args(StylePreset)
COLOR_PALETTE_PRESETS: Final[tuple[ColorPalettePreset, ...]] = get_args(ColorPalettePreset)

# Which legacy models take which parameters (spec §2.2 and §6.6).
NEGATIVE_PROMPT_LEGACY_MODELS: Final[tuple[LegacyModel, ...]] = ("V_1", "V_1_TURBO", "V_2", "V_2_TURBO")
STYLE_TYPE_LEGACY_MODELS: Final[tuple[LegacyModel, ...]] = ("V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO")
COLOR_PALETTE_LEGACY_MODELS: Final[tuple[LegacyModel, ...]] = ("V_2", "V_2_TURBO")
# "For model_version for 2.0 only": read as both 2.0 models, V_2 and V_2_TURBO.
RESOLUTION_LEGACY_MODELS: Final[tuple[LegacyModel, ...]] = ("V_2", "V_2_TURBO")

MAX_SEED: Final = 2_147_483_647
MAX_NUM_IMAGES: Final = 8
MAX_COLOR_PALETTE_MEMBERS: Final = 8
STYLE_CODE_PATTERN: Final = r"^[0-9a-fA-F]{8}$"
COLOR_HEX_PATTERN: Final = r"^#(?:[0-9a-fA-F]{3}){1,2}$"


def legacy_aspect_ratio(v3_ratio: str) -> str:
    """`16x9` -> `ASPECT_16_9`; the result is only valid if it is in `LEGACY_ASPECT_RATIOS`."""
    return "ASPECT_" + v3_ratio.replace("x", "_")


def legacy_resolution(v3_resolution: str) -> str:
    """`1280x800` -> `RESOLUTION_1280_800`; the result is only valid if it is in `LEGACY_RESOLUTIONS`."""
    return "RESOLUTION_" + v3_resolution.replace("x", "_")


# The V3 spelling of every ratio and resolution the legacy endpoints take, for the option tables.
LEGACY_ASPECT_RATIOS_AS_V3: Final[tuple[str, ...]] = tuple(
    r.removeprefix("ASPECT_").replace("_", "x") for r in LEGACY_ASPECT_RATIOS
)
LEGACY_RESOLUTIONS_AS_V3: Final[tuple[str, ...]] = tuple(
    r.removeprefix("RESOLUTION_").replace("_", "x") for r in LEGACY_RESOLUTIONS
)
