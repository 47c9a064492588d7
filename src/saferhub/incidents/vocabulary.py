"""The fixed lists an incident is recorded with: categories, roles, flags, risk."""

from django.db import models


class PersonRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    PERPETRATOR = "perpetrator", "Perpetrator"
    SUBJECT_OF_CONCERN = "subject_of_concern", "Subject of concern"
    WITNESS = "witness", "Witness"
    REPORTER = "reporter", "Reporter"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


class Risk(models.TextChoices):
    RED = "red", "Red (high)"
    AMBER = "amber", "Amber (medium)"
    GREEN = "green", "Green (low)"


class Category(models.TextChoices):
    # What happened, in words every partner uses; themes say which area of work it touches.
    NOISE = "noise", "Noise nuisance"
    YOUTH_DISORDER = "youth_disorder", "Youth disorder"
    NEIGHBOUR_DISPUTE = "neighbour_dispute", "Neighbour dispute"
    VANDALISM = "vandalism", "Vandalism"
    DELIBERATE_FIRE = "deliberate_fire", "Deliberate fire"
    DWELLING_FIRE = "dwelling_fire", "Accidental dwelling fire"
    HOARDING = "hoarding", "Hoarding"
    FALL = "fall", "Fall at home"
    ASSAULT = "assault", "Assault"
    DOMESTIC_INCIDENT = "domestic_incident", "Domestic incident"
    DRUG_DEALING = "drug_dealing", "Drug dealing"
    CUCKOOING = "cuckooing", "Cuckooing"
    THEFT = "theft", "Theft"
    HOUSEBREAKING = "housebreaking", "Housebreaking"
    HATE_INCIDENT = "hate_incident", "Hate incident"
    ROAD_COLLISION = "road_collision", "Road traffic collision"
    MISSING_PERSON = "missing_person", "Missing person"
    WELFARE_CONCERN = "welfare_concern", "Welfare concern"
    MENTAL_HEALTH_CRISIS = "mental_health_crisis", "Mental health crisis"
    SELF_HARM = "self_harm", "Self-harm"
    OTHER = "other", "Other"


class VulnerabilityFlag(models.TextChoices):
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    LEARNING_DISABILITY = "learning_disability", "Learning disability"
    LIMITED_MOBILITY = "limited_mobility", "Limited mobility"
    OLDER_PERSON = "older_person", "Older person"
    CHILD = "child", "Child"
    LIVES_ALONE = "lives_alone", "Lives alone"
    SMOKER = "smoker", "Smoker"
    HOARDING = "hoarding", "Hoarding"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    REPEAT_VICTIM = "repeat_victim", "Repeat victim"
