from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "parley.web"
    label = "parley_web"
    verbose_name = "Parley web"

    def ready(self) -> None:
        from parley.directory.retention import files_kept_by
        from parley.web.services import evidence_path

        # A case erased at the end of its retention takes its evidence files with it.
        files_kept_by("parley_web.EvidenceFile", evidence_path)
