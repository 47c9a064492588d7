from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "saferhub.analysis"
    label = "analysis"
    verbose_name = "Analysis: trends, repeats, near repeats, hotspots and deprivation"
