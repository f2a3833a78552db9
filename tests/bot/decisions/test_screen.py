"""bot.decisions.screen: the treatment decisions the assistant declines, by kind.

Written fresh for these tests (not from any evaluation set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.decisions.screen import decision, rules


@pytest.mark.parametrize(("text", "reason"), [
    ("how many co-codamol can i take before bed?", "dose"),
    ("I'm on sertraline 50mg, can I just halve it myself?", "dose"),
    ("should i come off my tramadol now the pain is better", "medicine_change"),
    ("the pharmacist says the diazepam isn't meant for long term. can i keep taking it?",
     "medicine_change"),
    ("dad's on oxycodone and it makes him confused, should he carry on", "medicine_change"),
    ("is it ok to have a glass of wine on top of my gabapentin", "medicine_change"),
    ("which anti-inflammatory would be best for me", "medicine_change"),
    ("the consultant offered a microdiscectomy, should I have it done?", "procedure"),
    ("my surgery is booked for May, should I cancel it?", "procedure"),
    ("they offered me a nerve block in my neck at C5, is that a good idea for me?",
     "procedure"),
    ("a radiofrequency ablation on my lower back, is it worth having?", "procedure"),
    ("do you think I should stop seeing my osteopath?", "treatment_choice"),
    ("should I have them both on the same day or space them out?", "treatment_choice"),
    ("do I have sciatica or is it just a pulled muscle", "diagnosis"),
    ("have I got arthritis in my knee?", "diagnosis"),
    ("is this bursitis or tendonitis in my hip", "diagnosis"),
    ("is my elbow pain caused by tennis elbow", "diagnosis"),
    ("is my wrist still fractured or is it nerve pain now", "diagnosis"),
])
def test_treatment_decisions_are_recognised_by_kind(text: str, reason: str) -> None:
    assert decision(text) == reason


@pytest.mark.parametrize("text", [
    "why do I have more pain when I'm stressed?",
    "what does central sensitisation mean?",
    "does acupuncture help with persistent pain?",
    "is pain always a sign of damage?",
    "is it normal or not to hurt more at night after a busy day",
    "how do I explain my pain to my family?",
    "can stress make pain worse?",
    "what is pain reprocessing therapy?",
    # "is that X or Y" about what is usual, not two conditions
    "stiff for two days after pilates, is that damage or just normal?",
    "my uncle's back pain settled by itself, is that typical or was he lucky",
    "is it harmful or ok to keep walking when my hip aches",
    "my sister helps with everything now, is that good or does it keep me stuck",
    "why do doctors say epidural injections are worth trying for sciatica?",
    "how long do people usually keep taking gabapentin for nerve pain?",
])
def test_education_questions_are_not_decisions(text: str) -> None:
    assert decision(text) is None


def test_an_unknown_context_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "patterns.yml"
    path.write_text("decisions:\n  - reason: dose\n    patterns: ['@nowhere']\n")
    with pytest.raises(ValueError, match="unknown context @nowhere"):
        rules(path)
