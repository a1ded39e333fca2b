"""The Ideogram image API through the AiHubMix gateway: typed requests, one client, mapped errors.

HTTP stops here: the rest of the bot checks options with `check_options` (against `catalog.OPTIONS`, the one
declaration of every option), builds a request with `build_request`, runs it with
`IdeogramClient.execute`, fetches the images with `IdeogramClient.download`, and catches `IdeogramError`.
"""

from bot.ideogram.client import IdeogramClient
from bot.ideogram.download import (
    DEFAULT_IMAGE_HOSTS,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DownloadedImage,
    WithheldImage,
)
from bot.ideogram.errors import (
    AuthenticationFailed,
    BadRequest,
    ConnectionFailed,
    DownloadFailed,
    IdeogramError,
    ImageExpired,
    InvalidRequest,
    QuotaExceeded,
    RateLimited,
    RequestTimedOut,
    SafetyRejected,
    ServerFailed,
)
from bot.ideogram.files import DEFAULT_MAX_UPLOAD_BYTES, ImageFile
from bot.ideogram.limiter import LimiterState
from bot.ideogram.options import CheckedOptions, build_request, check_options
from bot.ideogram.requests import (
    ColorMember,
    ColorPalette,
    DescribeRequest,
    GenerationRequest,
    IdeogramRequest,
    LegacyEditRequest,
    LegacyGenerateRequest,
    LegacyRemixRequest,
    UpscaleRequest,
    V3EditRequest,
    V3GenerateRequest,
    V3ReframeRequest,
    V3RemixRequest,
    V3ReplaceBackgroundRequest,
)
from bot.ideogram.responses import DescribeResponse, Description, GeneratedImage, GenerationResponse

__all__ = [
    "DEFAULT_IMAGE_HOSTS",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "AuthenticationFailed",
    "BadRequest",
    "CheckedOptions",
    "ColorMember",
    "ColorPalette",
    "ConnectionFailed",
    "DescribeRequest",
    "DescribeResponse",
    "Description",
    "DownloadFailed",
    "DownloadedImage",
    "GeneratedImage",
    "GenerationRequest",
    "GenerationResponse",
    "IdeogramClient",
    "IdeogramError",
    "IdeogramRequest",
    "ImageExpired",
    "ImageFile",
    "InvalidRequest",
    "LegacyEditRequest",
    "LegacyGenerateRequest",
    "LegacyRemixRequest",
    "LimiterState",
    "QuotaExceeded",
    "RateLimited",
    "RequestTimedOut",
    "SafetyRejected",
    "ServerFailed",
    "UpscaleRequest",
    "V3EditRequest",
    "V3GenerateRequest",
    "V3ReframeRequest",
    "V3RemixRequest",
    "V3ReplaceBackgroundRequest",
    "WithheldImage",
    "build_request",
    "check_options",
]
