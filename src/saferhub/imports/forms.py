from pathlib import Path

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from saferhub.imports.models import MappingProfile, RecordKind
from saferhub.partnerships.models import Organisation

FILE_TYPES = (".csv", ".xlsx")
# Every .xlsx workbook is a zip archive, which starts with these bytes.
ZIP_SIGNATURE = b"PK\x03\x04"
# Mapping profiles are short documents; a file much bigger than this is not one.
PROFILES_MAX_BYTES = 1_000_000


class ProfileChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: MappingProfile) -> str:
        return f"{obj.name} ({obj.get_kind_display().lower()})"


class UploadForm(forms.Form):
    """A partner system's export to import: the file, what it holds and how it reads."""

    file = forms.FileField(
        label="File to import",
        error_messages={
            "required": "Choose a file to import",
            "empty": "The file is empty",
            "invalid": "Choose a file to import",
        },
    )
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=RecordKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the file holds"},
    )
    profile = ProfileChoiceField(
        label="Mapping profile",
        queryset=MappingProfile.objects.none(),
        empty_label="Choose a profile",
        help_text="Which column of your file is which field of the hub.",
        error_messages={
            "required": "Choose a mapping profile",
            "invalid_choice": "Choose one of your organisation's mapping profiles",
        },
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Check the file only",
        help_text="Every row is checked and the report made, but nothing is imported.",
    )
    strict = forms.BooleanField(
        required=False,
        label="All or nothing",
        help_text="If any row is rejected, nothing from the file is imported.",
    )

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_mb = settings.IMPORT_UPLOAD_MAX_MB
        self.fields[
            "file"
        ].help_text = f"A CSV file (.csv) or an Excel workbook (.xlsx), up to {self.max_mb} MB."
        self.fields["profile"].queryset = MappingProfile.objects.filter(
            organisation=organisation
        ).order_by("kind", "name")

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in FILE_TYPES:
            raise forms.ValidationError(
                "The file must be a CSV file (.csv) or an Excel workbook (.xlsx)"
            )
        if upload.size > self.max_mb * 1024 * 1024:
            raise forms.ValidationError(f"The file must be no bigger than {self.max_mb} MB")
        if suffix == ".xlsx":
            start = upload.read(len(ZIP_SIGNATURE))
            upload.seek(0)
            if start != ZIP_SIGNATURE:
                raise forms.ValidationError(
                    "The file is not an Excel workbook: save it from Excel as .xlsx, or as CSV"
                )
        return upload

    def clean(self) -> dict:
        data = super().clean()
        profile, kind = data.get("profile"), data.get("kind")
        if profile is not None and kind and profile.kind != kind:
            self.add_error(
                "profile",
                f"The profile {profile.name} reads {profile.get_kind_display().lower()}, "
                f"not {RecordKind(kind).label.lower()}: choose a profile for "
                f"{RecordKind(kind).label.lower()}",
            )
        return data


class ProfilesForm(forms.Form):
    """Mapping profiles as YAML, from a file or typed in."""

    file = forms.FileField(
        required=False,
        label="A YAML file of profiles",
        help_text="As downloaded from this page, or written by hand (.yaml or .yml).",
    )
    text = forms.CharField(
        required=False,
        label="Or the profiles as YAML",
        widget=forms.Textarea(attrs={"rows": 16}),
        strip=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        upload, text = data.get("file"), data.get("text") or ""
        if upload and text.strip():
            raise forms.ValidationError("Give the profiles either as a file or as text, not both")
        if upload:
            if upload.size > PROFILES_MAX_BYTES:
                self.add_error("file", "The file is too big to be mapping profiles")
                return data
            try:
                data["yaml"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", "The file is not text in UTF-8: save it as UTF-8 YAML")
            data["source"] = upload.name
        elif text.strip():
            data["yaml"], data["source"] = text, "the text you entered"
        else:
            self.add_error("text", "Choose a YAML file, or enter the profiles as YAML")
        return data
