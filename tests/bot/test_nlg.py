"""SettingsNLG fills the clinic's numbers into domain responses, text and custom alike."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from rasa.core.nlg.generator import _load_from_module_name_in_endpoint_config
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import placeholders, settings
from bot.nlg import SettingsNLG

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(" + "|".join(placeholders.NAMES) + r")\}")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "bot" / "domain"))


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch):
    """Each test reads the settings anew, with its own environment overrides."""
    for name in ("PAIN_SAFETY_EMERGENCY_NUMBER", "PAIN_CLINIC_PHONE", "PAIN_SAFETY_COUNTRY"):
        monkeypatch.delenv(name, raising=False)
    settings.get.cache_clear()
    yield
    settings.get.cache_clear()


def generate(nlg: SettingsNLG, domain: Domain, action: str) -> dict:
    tracker = DialogueStateTracker.from_events("nlg-test", [], slots=domain.slots)
    return asyncio.run(nlg.generate(action, tracker, "rest"))


def load_nlg(domain: Domain) -> SettingsNLG:
    """Built exactly as Rasa builds a custom NLG named in endpoints.yml."""
    nlg = _load_from_module_name_in_endpoint_config(
        EndpointConfig(type="bot.nlg.SettingsNLG"), domain
    )
    assert isinstance(nlg, SettingsNLG)
    return nlg


def test_settings_fill_text_and_custom(domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIN_SAFETY_EMERGENCY_NUMBER", "999")
    monkeypatch.setenv("PAIN_CLINIC_PHONE", "01632 960000")
    nlg = load_nlg(domain)

    greet = generate(nlg, domain, "utter_greet")
    assert "call 999." in greet["text"]
    assert "call 999." in greet["custom"]["text"]

    decline = generate(nlg, domain, "utter_decline_personal_advice")
    assert "on 01632 960000." in decline["text"]
    assert decline["custom"]["text"] == decline["text"]
    assert decline["custom"]["kind"] == "declined"


def test_unset_values_get_fallback_wording(domain: Domain,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIN_CLINIC_PHONE", "")
    nlg = load_nlg(domain)
    reply = generate(nlg, domain, "utter_library_unavailable")
    assert placeholders.FALLBACKS["clinic_phone"] in reply["text"]
    assert placeholders.FALLBACKS["clinic_phone"] in reply["custom"]["text"]


def test_no_response_keeps_a_placeholder(domain: Domain) -> None:
    """Every response in the domain (safety ones included) comes out fully filled."""
    nlg = load_nlg(domain)
    for action in domain.responses:
        reply = generate(nlg, domain, action)
        assert reply is not None, action
        leftover = PLACEHOLDER.findall(repr(reply))
        assert not leftover, f"{action} still has placeholders {leftover}"


def test_explicit_values_win_over_settings(domain: Domain) -> None:
    nlg = SettingsNLG(domain=domain, values={**placeholders.values(),
                                             "emergency_number": "112"})
    assert "call 112." in generate(nlg, domain, "utter_greet")["text"]


def test_values_reads_settings_and_falls_back() -> None:
    config = {"safety": {"emergency_number": "911", "crisis_line": " "},
              "clinic": {"phone": None}}
    values = placeholders.values(config)
    assert values["emergency_number"] == "911"
    assert "findahelpline.com" in values["crisis_line"]  # no country: the directory
    assert values["clinic_phone"] == placeholders.FALLBACKS["clinic_phone"]
    assert placeholders.fill("call {emergency_number} {not_ours}", values) == \
        "call 911 {not_ours}"


def test_country_fills_real_numbers_and_settings_still_win() -> None:
    values = placeholders.values({"safety": {"country": "GB"}, "clinic": {}})
    assert values["emergency_number"] == "999"
    assert "116 123" in values["crisis_line"] and "Samaritans" in values["crisis_line"]
    assert "111" in values["urgent_line"]
    override = placeholders.values({"safety": {"country": "gb", "crisis_line": "Our line"},
                                    "clinic": {}})
    assert override["crisis_line"] == "Our line" and override["emergency_number"] == "999"
    with pytest.raises(ValueError, match="unknown safety.country"):
        placeholders.values({"safety": {"country": "XX"}, "clinic": {}})


def test_crisis_and_red_flag_cards_show_the_countrys_numbers(
        domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIN_SAFETY_COUNTRY", "AU")
    nlg = load_nlg(domain)
    crisis = generate(nlg, domain, "utter_crisis")
    assert "13 11 14" in crisis["text"] and "call 000 now" in crisis["text"]
    assert crisis["custom"]["text"] == crisis["text"]
    emergency = generate(nlg, domain, "utter_red_flag_cauda_equina")
    assert "call 000 now" in emergency["text"]
    today = generate(nlg, domain, "utter_red_flag_spinal_infection")
    assert "1800 022 222" in today["text"] and "today" in today["text"]
