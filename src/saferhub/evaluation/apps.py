from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "saferhub.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation: did a prevention initiative work, and how strong is the evidence"
