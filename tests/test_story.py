"""The shipped story keeps the promises of its brief (docs/story-bible.md): whole, reachable, sized, sourced."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from engine import check, expr, loader, playtest, runtime, stats
from tests.conftest import SHIPPED

ROLES = ("worker", "soldier", "kadet")
CHAPTERS = (
    "01-february",
    "02-march",
    "03-april",
    "04-may-june",
    "05-july",
    "06-august",
    "07-september",
    "08-october",
)


SHIPPED_FILES = {f"{r}/{c}.yaml" for r in ROLES for c in CHAPTERS}
"""The story as shipped. An author's new file under story/ (as the tutorial ends) is not part of these promises:
the tests below are about these files only, so adding a branch keeps them green."""


def shipped(scene) -> bool:  # type: ignore[no-untyped-def]
    return scene.source.path.split("scenes/", 1)[-1] in SHIPPED_FILES


@pytest.fixture(scope="module")
def story():
    return loader.load_or_raise(SHIPPED)


def test_check_strict_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert [str(d) for d in check.run(SHIPPED)] == []
    # The command adds the assignments kept in the story's assignments/ folder: they are clean too.
    from engine import cli

    assert cli.main(["check", "--strict", "--story", str(SHIPPED)]) == 0, capsys.readouterr().out


def test_random_playtests_reach_every_scene_and_ending_without_getting_stuck(story) -> None:
    result = playtest.random_runs(story, runs=3000, seed=0, settle=True).to_dict()
    assert result["stuck"] == []
    assert result["scenes"]["unreached"] == []
    assert all(n > 0 for n in result["endings"].values())
    # Issue 18, stats that matter: every choice taken, and no condition the same on every path (rare ones, that
    # a focused walk turns the other way, are fine: they vary).
    assert result["choices"]["never_taken"] == []
    assert result["conditions"]["never_true"] == [] and result["conditions"]["never_false"] == []


def test_the_exhaustive_walk_finds_no_choice_condition_that_never_varies(story) -> None:
    result = playtest.exhaustive(story).to_dict()
    assert result["capped"] == [] and result["stuck"] == [] and result["loops"] == []
    assert result["conditions"]["never_true"] == [] and result["conditions"]["never_false"] == []


def test_eight_chapters_per_role(story) -> None:
    files = {s.source.path.split("scenes/", 1)[1] for s in story.scenes.values()}
    assert files >= SHIPPED_FILES


def test_sizes(story) -> None:
    """Issue 18's length and breadth: 75,000 words in all; per role at least 80 reachable scenes and 12 endings,
    and a median playthrough of 7,000 to 14,000 words (35-70 minutes), as `stats` counts it."""
    data = stats.compute(story, runs=300)
    assert data["words"] >= 75_000
    for role in ROLES:
        r = data["roles"][role]
        assert r["scenes"] >= 80 and r["endings"] >= 12, role
        assert 7_000 <= r["per_run"]["median"] <= 14_000, (role, r["per_run"])


def test_choices_answer_the_player(story) -> None:
    """Issue 18: at least half of all choices have a response, and no choice is cosmetic: each has a response,
    an effect, or leads somewhere its scene's other choices do not."""
    choices = [(s, c) for s in filter(shipped, story.scenes.values()) for c in s.choices]
    answered = sum(1 for _, c in choices if c.response or any(o.response for o in c.chance))
    assert answered * 2 >= len(choices), (answered, len(choices))
    for s, c in choices:
        alike = [d for d in s.choices if d is not c and d.targets == c.targets]
        assert c.response or c.effects or c.chance or not alike, (s.id, c.index + 1)


def test_every_chapter_has_historical_notes(story) -> None:
    notes = Counter(s.source.path for s in story.scenes.values() if s.note.strip())
    for role in ROLES:
        for chapter in CHAPTERS:
            path = next(
                p
                for p in {s.source.path for s in story.scenes.values()}
                if p.endswith(f"{role}/{chapter}.yaml")
            )
            assert notes[path] >= 2, path


def test_paths_run_to_october_unless_cut_short(story) -> None:
    late = {r: 0 for r in ROLES}
    for s in story.endings:
        role = story.role_of(s.id)
        if s.date >= dt.date(1917, 10, 24):
            late[role] += 1
    assert all(n >= 2 for n in late.values()), late


def test_epilogues_speak_of_the_constituent_assembly(story) -> None:
    for s in filter(shipped, story.endings):
        assert re.search(r"Constituent Assembly|the Assembly", s.ending.epilogue), s.id


FIGURES = re.compile(r"\b\d{2}\s*(?:per cent|%)|about 40\b")


def test_the_assembly_result_is_told_where_it_matters_not_in_every_ending(story) -> None:
    """Issue 18: each role tells the Constituent Assembly's vote once or twice, in the endings where it matters;
    the other epilogues may name the Assembly, but do not restate the figures."""
    told: dict[str, list[str]] = {}
    for s in filter(shipped, story.endings):
        if FIGURES.search(s.ending.epilogue):
            told.setdefault(s.id.split(".")[0], []).append(s.id)
    assert set(told) == {"worker", "soldier", "kadet"}, told
    assert all(1 <= len(ids) <= 2 for ids in told.values()), told


def _reads(text: str) -> set[str]:
    """What a text's inline markup reads: variables, and the scenes its visited() asks about."""
    got = expr.text_reads(text)
    return set(got.names | got.scenes)


def _cond_reads(node: expr.Node) -> set[str]:
    return set(expr.names(node)) | {str(c.args[0].value) for c in expr.calls(node) if c.args}


def test_every_epilogue_reads_two_of_the_players_choices(story) -> None:
    """Issue 18: an epilogue belongs to the player: it reads at least two things the player chose or did
    (inline conditions in the epilogue, or the ending scene's conditional paragraphs)."""
    for s in filter(shipped, story.endings):
        reads = _reads(s.ending.epilogue)
        for p in s.paragraphs:
            reads |= _reads(p.text) | (_cond_reads(p.cond.node) if p.cond is not None else set())
        assert len(reads) >= 2, (s.id, reads)


def test_invented_people_are_marked(story) -> None:
    notes = " ".join(s.note for s in story.scenes.values())
    for name in ("Dunya", "Gusev", "Varfolomeev", "Olga", "Kuzmin", "Ryabov"):
        assert re.search(rf"{name}[^.]*\(invented\)|\(invented\)[^.]*{name}", notes), name


# --- Continuity: paths a player can take, and the text that player reads (issue 18) ---------------------------

KADET_TO_OCTOBER = {
    "kadet.feb.tauride": "Go with Olga",
    "kadet.feb.duma_session": "Accept",
    "kadet.feb.window": "Run down",
    "kadet.feb.pharmacy": "Stay and help",
    "kadet.mar.order1": "Accept it",
    "kadet.apr.note": "Go to the Mariinsky",
    "kadet.jun.offensive": "Take the medical train",
    "kadet.jun.front": "Go back",
    "kadet.jul.tauride": "Find Ryabov",
    "kadet.aug.cousin": "Refuse",
    "kadet.sep.campaign": "Stay on the crate",
    "kadet.sep.food": "Write the order",
}


def play(story, role: str, route: dict[str, str], stop: str, initial: dict | None = None):
    """Play `role` from its start through the runtime, as a player would: in each scene take the open choice
    whose text contains route[scene] (the first open choice where the route says nothing), until `stop`.
    Returns the game state and the text of every scene read on the way, by scene id."""
    state = runtime.new_game(story, role, initial=initial)
    read = {state.scene: "\n".join(runtime.paragraphs(story, state))}
    for _ in range(300):
        if state.scene == stop:
            return state, read
        assert not runtime.is_ending(story, state), f"the path ended at {state.scene} before {stop}"
        shown = runtime.options(story, state)
        want = route.get(state.scene)
        open_ = [o for o in shown if o.open and (want is None or want in o.choice.text)]
        assert open_, f"{state.scene}: no open choice matching {want!r}: {[o.choice.text for o in shown]}"
        runtime.choose(story, state, open_[0].number)
        read[state.scene] = "\n".join(runtime.paragraphs(story, state))
    raise AssertionError(f"{stop} not reached")


def texts(story, state) -> list[str]:
    return [o.choice.text for o in runtime.options(story, state)]


# a worker who walks under the Bolshevik banner in March, holds the works in July and escapes the search
WORKER_TO_AUGUST = {
    "worker.mar.funeral": "Bolshevik",
    "worker.jul.gunners": "Stay",
    "worker.jul.crackdown": "window",
}


def test_kadet_who_declined_lunch_never_sees_the_volley(story) -> None:
    route = {"kadet.feb.tauride": "Stay at the Palace", "kadet.feb.duma_session": "Decline"}
    _, read = play(story, "kadet", route, "kadet.feb.decree")
    assert "front rank of grey" not in read["kadet.feb.decree"]
    assert "by the telephone" in read["kadet.feb.decree"]
    route = {"kadet.feb.duma_session": "Accept", "kadet.feb.window": "Stay at the window"}
    _, read = play(story, "kadet", route, "kadet.feb.decree")
    assert "front rank of grey knelt in the snow" in read["kadet.feb.decree"]


def test_kadet_back_from_galicia_before_the_retreat_does_not_remember_it(story) -> None:
    _, read = play(story, "kadet", KADET_TO_OCTOBER, "kadet.jul.death_penalty")
    assert "You know what the retreat looks like" not in read["kadet.jul.death_penalty"]
    assert "You left Galicia before the retreat began" in read["kadet.jul.death_penalty"]
    # who stays at the dressing station ends in July, on the road to Tarnopol, not on 30 June
    state, _ = play(story, "kadet", {**KADET_TO_OCTOBER, "kadet.jun.front": "Stay"}, "kadet.end.galicia")
    assert runtime.scene(story, state).date >= dt.date(1917, 7, 6)


def test_kadet_who_backed_kornilov_has_the_list_that_is_searched_for(story) -> None:
    route = {**KADET_TO_OCTOBER, "kadet.aug.cousin": "Give him your word", "kadet.aug.night": "Say nothing"}
    state, read = play(story, "kadet", route, "kadet.aug.search")
    assert "six names and an address" in read["kadet.aug.night"]
    assert "the slip that came with Tolya's note" in read["kadet.aug.search"]
    assert "burns Tolya's paper" in " ".join(texts(story, state))


def test_kadet_reaching_the_palace_from_the_city_duma_arrives_after_midnight(story) -> None:
    route = {
        **KADET_TO_OCTOBER,
        "kadet.oct.proclamation": "City Duma",
        "kadet.oct.city_duma": "Go to the Winter Palace alone",
    }
    _, read = play(story, "kadet", route, "kadet.oct.winter_palace")
    palace = read["kadet.oct.winter_palace"]
    assert "At half past six the besiegers' ultimatum comes in" not in palace
    assert "Some time after nine a single gun booms" not in palace
    assert "past midnight" in palace and "The ultimatum came at half past six" in palace
    _, read = play(
        story,
        "kadet",
        {**KADET_TO_OCTOBER, "kadet.oct.proclamation": "Winter Palace"},
        "kadet.oct.winter_palace",
    )
    assert "At half past six the besiegers' ultimatum comes in" in read["kadet.oct.winter_palace"]


def test_nastya_remembers_the_kadet_she_walked_out_of_the_palace(story) -> None:
    route = {
        **KADET_TO_OCTOBER,
        "kadet.oct.proclamation": "Winter Palace",
        "kadet.oct.winter_palace": "Nastya",
        "kadet.oct.morning": "Dunya",
    }
    _, read = play(story, "kadet", route, "kadet.end.commission")
    assert "Dunya calls her Nastya. She\nlooks at you" not in read["kadet.end.commission"]
    assert "Dunya calls her Nastya" not in read["kadet.end.commission"]
    assert "I walked him out of the Winter Palace" in read["kadet.end.commission"]
    route = {**KADET_TO_OCTOBER, "kadet.oct.proclamation": "Dunya"}
    _, read = play(story, "kadet", route, "kadet.end.commission")
    assert "Dunya calls her Nastya" in read["kadet.end.commission"]


def test_an_elected_kadet_is_told_why_the_assembly_met_without_him(story) -> None:
    route = {**KADET_TO_OCTOBER, "kadet.oct.proclamation": "Go home", "kadet.oct.morning": "Stay. Stand"}
    state, read = play(story, "kadet", route, "kadet.end.assembly")
    assert not state.vars["kadet_gave_olga_place"]
    text = read["kadet.end.assembly"]
    assert "You are elected" in text and "hide you" in text
    assert "met, without you" in runtime.scene(story, state).ending.epilogue


def test_worker_bolshevik_is_not_offered_the_card_again(story) -> None:
    state, read = play(story, "worker", WORKER_TO_AUGUST, "worker.aug.hunger")
    assert state.vars["w_party"] == "bolshevik"
    assert "Will you come?" not in read["worker.aug.hunger"]
    assert not any("party card" in t for t in texts(story, state))
    assert any("go canvassing with her" in t for t in texts(story, state))


def test_worker_rifle_only_for_who_has_one(story) -> None:
    # go down the line with the agitators, never taking a rifle in August
    route = {
        **WORKER_TO_AUGUST,
        "worker.feb.soldiers": "Show Gusev",
        "worker.apr.redguard": "Hand back",
        "worker.aug.alarm": "agitators",
    }
    state, read = play(story, "worker", route, "worker.aug.melts", initial={"standing": 10})
    assert "rifle still over your shoulder" not in read["worker.aug.melts"]
    assert "old horseman's question" in read["worker.aug.melts"]
    assert not state.vars["armed"]
    assert not any("rifle" in t for t in texts(story, state))
    route = {**WORKER_TO_AUGUST, "worker.aug.alarm": "Take a rifle"}
    state, read = play(story, "worker", route, "worker.aug.melts")
    assert "rifle still over your shoulder" in read["worker.aug.melts"]
    assert any(t.startswith("Keep the rifle") for t in texts(story, state))


def test_worker_deputy_is_not_offered_a_second_seat(story) -> None:
    state, read = play(story, "worker", WORKER_TO_AUGUST, "worker.sep.recall", initial={"standing": 10})
    assert state.vars["w_deputy"]  # elected in March
    assert "A show of hands keeps you in your seat" in read["worker.sep.recall"]
    assert not any("put you up for the seat" in t for t in texts(story, state))


def test_the_land_decree_follows_the_singing(story) -> None:
    text = "\n".join(p.text for p in story.scenes["worker.end.smolny"].paragraphs)
    assert text.index("Decree on Peace") < text.index("Internationale") < text.index("Decree on Land")
    epilogue = story.scenes["worker.end.smolny"].ending.epilogue
    assert "soviets without Bolsheviks" not in epilogue and "freely elected soviets" in epilogue


def test_soldier_remembers_being_shot_at_only_where_he_was(story) -> None:
    # a soldier at the palace with danger at its cap, who was never at the Sadovaya in April or July
    state = runtime.new_game(story, "soldier", start="soldier.oct.cordon", initial={"danger": 10})
    read = "\n".join(runtime.paragraphs(story, state))
    assert "shot at" not in read and "under fire" not in read


def test_soldier_hears_how_varfolomeev_came_back(story) -> None:
    for fate, words in ((1, "linen store"), (2, "Military Commission"), (3, "cellar")):
        state = runtime.new_game(
            story, "soldier", start="soldier.mar.order", initial={"sol_officer_fate": fate}
        )
        assert words in "\n".join(runtime.paragraphs(story, state)), fate


def test_one_world_across_roles(story) -> None:
    """The shared-facts table of docs/story-bible.md, held against every role's text and notes."""
    everything = []
    for s in story.scenes.values():
        everything += [p.text for p in s.paragraphs] + [c.text for c in s.choices] + [s.note, s.place]
        if s.ending:
            everything.append(s.ending.epilogue)
    everything += [t.text for t in story.glossary] + [t.term for t in story.glossary]
    text = re.sub(r"\s+", " ", " ".join(everything))
    assert "Schreider" not in text and "Shreider" in text
    named = re.findall(r"Committee for the Salvation of the (\w+)", text)
    assert named and set(named) == {"Fatherland"}, named
    # Olga's bureau: one place, above the bootmaker's on Liteiny Prospekt, in every role that visits it
    assert "tea-shop" not in text
    for sid in ("kadet.apr.bureau", "worker.apr.chamber"):
        scene = story.scenes[sid]
        assert "Liteiny" in scene.place and "bootmaker" in " ".join(p.text for p in scene.paragraphs), sid


def test_glossary_and_documents(story) -> None:
    assert len(story.glossary) >= 30
    terms = {t.term for t in story.glossary}
    assert {"Soviet", "Duma", "Order No. 1", "Red Guards", "Okhrana"} <= terms | {
        a for t in story.glossary for a in t.aliases
    }
    wanted = {
        "order_no_1",
        "eight_hour_agreement",
        "milyukov_note",
        "april_theses",
        "kornilov_appeal",
        "mrc_proclamation",
    }
    assert wanted <= set(story.documents)
    used = {d for s in story.scenes.values() for d in s.documents}
    assert wanted <= used  # each is reachable from a scene where it matters


def test_dates_are_old_style_1917_and_never_run_backwards(story) -> None:
    for s in story.scenes.values():
        assert dt.date(1917, 2, 23) <= s.date <= dt.date(1918, 1, 31), s.id
        for c in s.choices:
            for target in c.targets:  # a call's scene and where it goes on, each chance outcome's goto
                if target in story.scenes:  # not `goto: return`: where that leads is the caller's goto
                    assert story.scenes[target].date >= s.date, (s.id, target)


def test_every_chapter_has_decisions_read_later(story) -> None:
    """Each chapter sets at least two things (variables, or scenes reached) that a later chapter reads; the last
    chapter's decisions are read by its own endings."""
    from engine import expr
    from engine.text import placeholder_names

    sets: dict[tuple[str, str], set[str]] = {}
    reads: dict[tuple[str, str], set[str]] = {}
    for s in story.scenes.values():
        key = (story.role_of(s.id), s.source.path.rsplit("/", 1)[1][:2])
        made, seen = sets.setdefault(key, set()), reads.setdefault(key, set())
        for c in s.choices:
            made.update(e.var for e in c.effects)
            made.add("@" + c.goto)
        for cond in [p.cond for p in s.paragraphs] + [c.cond for c in s.choices]:
            if cond is not None:
                seen |= expr.names(cond.node) | {"@" + call.args[0].value for call in expr.calls(cond.node)}
        for text in [p.text for p in s.paragraphs] + [c.text for c in s.choices]:
            seen |= set(placeholder_names(text))
    for role in ROLES:
        for n in range(1, 9):
            later = range(n + 1, 9) if n < 8 else [8]
            read_later = set().union(*(reads.get((role, f"{m:02d}"), set()) for m in later))
            assert len(sets[(role, f"{n:02d}")] & read_later) >= 2, (role, n)


def test_every_chapter_marks_what_most_real_people_did(story) -> None:
    """At least one key decision per chapter per role carries `historical:`: one sentence, about the option
    of a scene the player can reach, and never a second mark in the same scene."""
    marked: Counter[str] = Counter()
    for s in story.scenes.values():
        marks = [c for c in s.choices if c.historical]
        assert len(marks) <= 1, s.id
        for c in marks:
            marked[s.source.path.split("scenes/", 1)[1]] += 1
            text = c.historical
            assert 40 <= len(text) <= 300, (s.id, text)
            # One sentence: a single full stop, at the end (abbreviations such as 'No. 1' aside).
            assert text.endswith("."), (s.id, text)
            assert re.sub(r"\bNo\. ", "No ", text)[:-1].count(". ") == 0, (s.id, text)
    assert {f"{r}/{c}.yaml" for r in ROLES for c in CHAPTERS} <= {f for f, n in marked.items() if n >= 1}


def test_the_historical_marks_reach_the_guide(story) -> None:
    from engine.classroom import guide

    text = guide.guide(story)
    assert text.count("### What most people really did") == len(ROLES) * len(CHAPTERS)
    corridor = story.scenes["soldier.feb.corridor"].choices[0]
    assert " ".join(corridor.historical.split()) in " ".join(text.split()).replace("\\", "")
