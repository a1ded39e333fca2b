"""A strict fake of the AiHubMix Ideogram gateway (and of Ideogram's image host), for tests and benchmarks.

    async with FakeIdeogram() as fake:
        client = IdeogramClient(base_url=fake.base_url, api_key=fake.api_key)   # bare origin; routes are /ideogram/...
        fake.inject(RateLimited(retry_after=0), times=2)
        ...
        assert fake.api_requests[-1].fields["num_images"] == ["2"]

What it checks comes from the official OpenAPI file (`tests/fakes/specs/ideogram-openapi.json`, see `spec.py`) and
the field-by-field spec (`/work/shared/reference/ideogram-api.md`, sections 1-7 and 11). Anything it does not accept
is answered 400 `{"error": "<what is wrong>"}`, which is what Ideogram answers for invalid input.

Routes (POST, header `Api-Key` must equal `api_key`, else the gateway's 401 envelope):
    /ideogram/v1/ideogram-v3/{generate,remix,edit,reframe,replace-background}   multipart, flat fields, file `image`
    /ideogram/generate                     JSON {"image_request": {...}}
    /ideogram/remix, /ideogram/upscale     multipart: `image_request` (a JSON string part) + `image_file`
    /ideogram/edit                         multipart, flat: image_file, mask, prompt, model (V_2/V_2_TURBO)
    /ideogram/describe                     multipart: image_file, optional describe_model_version
Anything else (other paths, other methods, the routes without the `/ideogram` prefix, the undocumented
`/ideogram/reframe`) is a 404 in the AiHubMix envelope. Auth is checked first, like the gateway.

Image URLs are `{base_url}/images/<id>.<png|webp>?exp=<unix>&sig=<hmac-sha256 hex>`, served without auth. A wrong or
missing signature, or an expired URL (`clock() > exp`, or `expire_urls()` was called) gets **403** with a JSON
`{"error": "AccessDenied: ..."}` body, like a signed-URL CDN (CloudFront answers 403 for both). Unknown ids get 404.

Decisions where the spec is ambiguous or says nothing:
- Hidden values of the full api.ideogram.ai spec are rejected (400), because the public reference lacks them and the
  bot must not depend on them: rendering_speed BALANCED; style_type CUSTOM and STYLIZED (V3 and legacy); legacy
  model V_3 (it has its own routes) and AUTO (the server would pick the model, so the cost is unknowable);
  describe_model_version CUSTOM; the fields custom_model_uri and magic_prompt_version. Public values that this
  snapshot of the spec does not have (V_4 describe, enable_copyright_detection) are rejected as well.
- Every field the spec does not list for a route is rejected, including V3 edit's aspect_ratio / resolution /
  negative_prompt, reframe's prompt, replace-background's style_type / aspect_ratio / negative_prompt.
- V3 generate accepts only multipart: the official spec also allows JSON there, but AiHubMix documents multipart
  only. Legacy remix / upscale insist on `image_request` being a text part (no filename) holding a JSON object.
- A part is a file if and only if it has a filename (Starlette's rule). A text value given as a file, a file given
  as a text field, or a single-valued field repeated is a 400. Integers in multipart must be plain decimal text
  (`"2"`, not `"2.0"` or `" 2"`); in JSON they must be JSON integers. Empty or blank strings are rejected: leave the
  field out instead.
- Unverified third-party rules are NOT enforced (style_preset vs style_reference_images, character reference with
  FLASH, a square input for reframe, the >=10% black mask recommendation). Enforced: at most 1 character reference
  and matching mask counts; style and character references at most `max_file_bytes` in total per group; the edit
  mask the same pixel size as the image and not entirely white. The upload's own Content-Type is not checked;
  its magic bytes are (JPEG/PNG/WebP; GIF rejected) and it must decode with Pillow. Too-large files get 400.
- Legacy requests without `model` are V_2 (the spec's default), so `resolution` is allowed then.
- Magic prompt: absent means AUTO (AiHubMix's documented default). ON and AUTO return the prompt plus
  `MAGIC_PROMPT_SUFFIX` (", highly detailed"); OFF returns it unchanged. Reframe (no prompt) and an upscale
  without a prompt return `"prompt": ""`.
- `resolution` in a reply: the requested one; else the aspect ratio's standard size (`ASPECT_RATIO_RESOLUTIONS`,
  e.g. 16x9 -> 1312x736, ASPECT_16_9 likewise); edit / replace-background: the ResolutionV3 nearest the input's
  shape; upscale: the input's size, with `upscaled_resolution` twice that; otherwise 1024x1024.
- `style_type` in a reply: the requested one, else GENERAL (the V3 default); left out for V_1 / V_1_TURBO,
  reframe, replace-background and upscale. `seed`: the requested one (every item), else a random one per item.
- Describe returns two descriptions, like the official example, and counts as 1 image in flight.
- Served images are real PNG (or WebP) files 64 px on the longest side with the announced shape, coloured from seed
  and index plus a per-image patch, so every image differs; `full_size_images=True` serves the announced size.
  `image_bytes=N` serves one random-noise image of about N bytes (a PNG is padded to exactly N) built once per
  (format, N) and shared by every URL: large downloads cost only the socket write, but those images are identical.
  Image URLs point at the fake's own origin, or at `image_base_url` when a test sets it (e.g. the same server
  as `http://localhost:PORT`, to play a gateway that serves images from a host the bot does not trust).
- In-flight limit (`max_in_flight_images`): a valid request is admitted if its num_images fit, counted from
  validation until its reply is built; else 429 `reject_reason: inflight_limit` with `max_inflight_requests` = the
  limit. Rejected requests never count. `pause_replies()` holds admitted requests so tests can fill the limit
  without sleeping; `wait_for_in_flight(n)` waits until n images are in flight; `peak_in_flight_images` records the
  most ever in flight.
- Faults (`inject`): see `faults.py`. Each request takes at most one queued fault (the first that matches its
  route). Auth failures and 404s take none. Faults meant for the image host need `route="/images"`.
- Every API reply carries `X-Request-Id`; every reply of the fake is checked against the spec's response schema
  (`ImageGenerationResponseV3`, `GenerateImageResponse`, `DescribeResponse`, `GenerateImageSafetyError`). A reply
  that fails is sent as a 500 and recorded in `fake_bugs`, and `close()` raises.
- `latency_s` delays every API reply (errors too, and faults, on top of `Latency`); not image downloads.
"""

from .faults import (
    BadGatewayHtml,
    Disconnect,
    Fault,
    GatewayError,
    Latency,
    OkWithError,
    RateLimited,
    SafetyRejected,
    ServerError,
    UnsafeImages,
)
from .recording import RecordedRequest, UploadedFile
from .server import (
    ASPECT_RATIO_RESOLUTIONS,
    IMAGE_SAFETY_MESSAGE,
    MAGIC_PROMPT_SUFFIX,
    PROMPT_SAFETY_MESSAGE,
    FakeIdeogram,
    nearest_v3_resolution,
)
from .spec import (
    COLOR_PALETTE_PRESETS,
    DESCRIBE_MODEL_VERSIONS,
    LEGACY_ASPECT_RATIOS,
    LEGACY_MODELS,
    LEGACY_RESOLUTIONS,
    LEGACY_STYLE_TYPES,
    MAGIC_PROMPT_OPTIONS,
    RENDERING_SPEEDS,
    STYLE_PRESETS,
    V3_ASPECT_RATIOS,
    V3_RESOLUTIONS,
    V3_STYLE_TYPES,
)
from .validation import ROUTES, Route

__all__ = [
    "ASPECT_RATIO_RESOLUTIONS",
    "COLOR_PALETTE_PRESETS",
    "DESCRIBE_MODEL_VERSIONS",
    "IMAGE_SAFETY_MESSAGE",
    "LEGACY_ASPECT_RATIOS",
    "LEGACY_MODELS",
    "LEGACY_RESOLUTIONS",
    "LEGACY_STYLE_TYPES",
    "MAGIC_PROMPT_OPTIONS",
    "MAGIC_PROMPT_SUFFIX",
    "PROMPT_SAFETY_MESSAGE",
    "RENDERING_SPEEDS",
    "ROUTES",
    "STYLE_PRESETS",
    "V3_ASPECT_RATIOS",
    "V3_RESOLUTIONS",
    "V3_STYLE_TYPES",
    "BadGatewayHtml",
    "Disconnect",
    "FakeIdeogram",
    "Fault",
    "GatewayError",
    "Latency",
    "OkWithError",
    "RateLimited",
    "RecordedRequest",
    "Route",
    "SafetyRejected",
    "ServerError",
    "UnsafeImages",
    "UploadedFile",
    "nearest_v3_resolution",
]
