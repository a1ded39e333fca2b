"""The two data steps of a job, apart from its flow: the member's attachments into a request, and the API's
answer into what the member sees (`Result`) and what the ledger keeps (`ResultImage`s)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from bot.i18n import Text, _, _n
from bot.ideogram import (
    DescribeResponse,
    DownloadedImage,
    GenerationResponse,
    IdeogramRequest,
    WithheldImage,
    build_request,
)
from bot.images import PreparedImage, fit_for_upload, prepare_input, prepare_mask, square_for_reframe
from bot.jobs.defaults import defaults_note
from bot.jobs.model import JobSpec, OutputFile, Posted, Result
from bot.ledger import Balance, ResultImage


@dataclass
class Prepared:
    request: IdeogramRequest
    notes: list[Text]


async def prepare(spec: JobSpec, *, max_upload: int) -> Prepared:
    """Fetch the attachments, check and normalise them, and build the request the API will get."""
    notes: list[Text] = [*defaults_note(spec)]
    data = dict(zip(spec.files, await asyncio.gather(*(f.read() for f in spec.files.values())), strict=True))
    images: dict[str, bytes] = {}
    main: PreparedImage | None = None
    if "image" in data:
        main = await prepare_input(data["image"], option="image", max_bytes=max_upload)
        if spec.operation == "reframe":
            main = (await square_for_reframe(main, max_bytes=max_upload))[0]
        notes.extend(_("Your image: {note}.", note=note) for note in main.adjustments)
        images["image"] = main.data
    if "mask" in data and main is not None:
        images["mask"] = await prepare_mask(
            data["mask"], size=(main.width, main.height), invert=spec.invert_mask, max_bytes=max_upload
        )
    if "style_reference" in data:
        reference = await prepare_input(data["style_reference"], option="style_reference", max_bytes=max_upload)
        notes.extend(_("Your style reference: {note}.", note=note) for note in reference.adjustments)
        images["style_reference"] = reference.data
    request = build_request(spec.operation, options=spec.options, images=images)
    return Prepared(request, notes)


def base_result(job_id: int, spec: JobSpec, prepared: Prepared, *, cost: int, balance: Balance) -> Result:
    request = prepared.request
    return Result(
        job_id=job_id,
        spec=spec,
        model=request.model,
        rendering_speed=request.rendering_speed,
        prompt=None,
        seeds=(),
        files=(),
        withheld=0,
        cost=cost,
        balance=balance,
        notes=prepared.notes,
    )


def described(result: Result, response: DescribeResponse) -> Result:
    return replace(result, descriptions=[d.text for d in response.descriptions if d.text])


async def generated(
    result: Result,
    response: GenerationResponse,
    downloads: list[DownloadedImage | WithheldImage],
    *,
    upload_limit: int,
) -> tuple[Result, list[ResultImage]]:
    """The result with the downloaded images fitted to Discord's upload limit, and the ledger's image records."""
    images = [item for item in downloads if isinstance(item, DownloadedImage)]
    fitted = await asyncio.gather(
        *(fit_for_upload(item.data, limit_bytes=upload_limit, filename=item.filename) for item in images)
    )
    reencoded = sum(1 for f in fitted if f.reencoded)
    notes = [*result.notes]
    if reencoded:
        notes.append(
            _n(
                "{count} image was re-encoded to fit Discord's upload limit.",
                "{count} images were re-encoded to fit Discord's upload limit.",
                count=reencoded,
            )
        )
    records = [
        ResultImage(
            index=item.index,
            attachment_id=None,
            url=None,
            sha256=item.sha256 if isinstance(item, DownloadedImage) else None,
            is_safe=isinstance(item, DownloadedImage),
            seed=item.item.seed,
            prompt=item.item.prompt,
        )
        for item in downloads
    ]
    result = replace(
        result,
        prompt=response.data[0].prompt if response.data else None,
        seeds=[item.seed for item in response.data],
        files=[OutputFile(f.filename, f.data) for f in fitted],
        withheld=len(downloads) - len(images),
        notes=notes,
    )
    return result, records


def attach(records: list[ResultImage], posted: Posted) -> list[ResultImage]:
    """Pair the posted attachments, in order, with the safe images they show."""
    uploaded = iter(posted.attachments)
    paired: list[ResultImage] = []
    for record in records:
        attachment = next(uploaded, None) if record.is_safe else None
        paired.append(
            record if attachment is None else replace(record, attachment_id=attachment.id, url=attachment.url)
        )
    return paired


def settled(balance: Balance, *, hold: int, charged: int) -> Balance:
    """The member's balance as it will be once a hold of `hold` is settled with `charged` captured."""
    spent, held = balance.spent + charged, balance.held - hold
    return replace(
        balance, spent=spent, held=held, remaining=max(0, balance.allowance + balance.granted - spent - held)
    )
