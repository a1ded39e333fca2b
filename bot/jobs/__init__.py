"""The one generation pipeline every command uses (`JobRunner`), and the types it speaks."""

from bot.jobs.model import ImageSource, InputFile, JobOutput, JobSpec, OutputFile, Posted, PostedAttachment, Result
from bot.jobs.runner import JobRunner

__all__ = [
    "ImageSource",
    "InputFile",
    "JobOutput",
    "JobRunner",
    "JobSpec",
    "OutputFile",
    "Posted",
    "PostedAttachment",
    "Result",
]
