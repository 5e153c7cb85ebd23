"""The terminal chat's reading and showing (no Rasa), its port check and training progress."""

import io
import socket
import sys

from dealcoach.serving.chat_processes import port_taken, port_taken_sentence
from dealcoach.serving.terminal import is_stop, message_to_send, options_of, render_reply
from dealcoach.serving.training import run_with_progress

SITUATION = '/give_facts{"purchase_situation": "%s"}'
QUESTION = {
    "text": "Is this a first-time purchase for them, or a routine reorder?",
    "buttons": [
        {"title": "New task", "payload": SITUATION % "new_task"},
        {"title": "Straight rebuy", "payload": SITUATION % "straight_rebuy"},
        {"title": "Don't know", "payload": "/dont_know"},
    ],
}


def test_buttons_are_numbered_lines_under_the_question():
    text, options = render_reply([{"text": "Noted: Joost."}, QUESTION], with_hint=True)
    lines = text.splitlines()
    assert lines[0] == "bot> Noted: Joost."
    assert lines[1] == "bot> " + QUESTION["text"]
    assert [line.strip() for line in lines[2:5]] == [
        "1. New task", "2. Straight rebuy", "3. Don't know",
    ]  # fmt: skip
    assert "own words" in lines[5]
    assert [o.payload for o in options] == [b["payload"] for b in QUESTION["buttons"]]


def test_the_hint_is_left_out_when_not_asked_for():
    text, _ = render_reply([QUESTION])
    assert "own words" not in text


def test_a_typed_answer_is_sent_as_typed_while_buttons_are_shown():
    options = options_of([QUESTION])
    typed = "their plant manager Joost is sceptical, we haven't met him"
    assert message_to_send(typed, options) == typed
    # Typing the start of a title is an answer in one's own words, not a pick.
    assert message_to_send("new", options) == "new"


def test_a_number_or_an_exact_title_picks_that_button():
    options = options_of([QUESTION])
    assert message_to_send("2", options) == QUESTION["buttons"][1]["payload"]
    assert message_to_send(" 1 ", options) == QUESTION["buttons"][0]["payload"]
    assert message_to_send("straight REBUY ", options) == QUESTION["buttons"][1]["payload"]


def test_a_number_with_no_such_option_is_sent_as_typed():
    options = options_of([QUESTION])
    assert message_to_send("4", options) == "4"
    assert message_to_send("0", options) == "0"
    assert message_to_send("2000", []) == "2000"


def test_buttons_of_several_messages_are_numbered_on():
    second = {"text": "Or:", "buttons": [{"title": "Skip", "payload": "/skip"}]}
    text, options = render_reply([QUESTION, second])
    assert [o.number for o in options] == [1, 2, 3, 4]
    assert "4. Skip" in text
    assert message_to_send("4", options) == "/skip"


def test_multi_line_texts_stay_indented_under_the_bot():
    text, _ = render_reply([{"text": "Top three:\n1. Map the buying centre\n2. Meet the CFO"}])
    assert text.splitlines() == [
        "bot> Top three:", "     1. Map the buying centre", "     2. Meet the CFO",
    ]  # fmt: skip


def test_stop_commands():
    assert is_stop("/stop") and is_stop(" /STOP ") and is_stop("/quit")
    # "stop" pauses a review: it is a message for the bot, not the end of the chat.
    assert not is_stop("stop")


def test_a_held_port_is_seen_and_named():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert port_taken(port)
    assert not port_taken(port)
    sentence = port_taken_sentence(port)
    assert str(port) in sentence and f"ACTION_PORT={port + 1}" in sentence
    assert sentence.count(". ") == 0 and sentence.endswith(".")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_training_output_goes_to_the_log_and_the_terminal_sees_progress(tmp_path):
    log = tmp_path / "train.log"
    script = (
        "import sys, time\n"
        "print('DeprecationWarning: a library complains', file=sys.stderr, flush=True)\n"
        "print(\"Starting to train component 'KnowledgeEntityExtractor'.\", flush=True)\n"
        "time.sleep(0.6)\n"
    )
    out = _Terminal()
    status = run_with_progress([sys.executable, "-c", script], log, "Training ({log})", out, 0.1)
    assert status == 0
    shown = out.getvalue()
    assert shown.startswith(f"Training ({log})\n")
    assert "training... 0:00 (KnowledgeEntityExtractor)" in shown
    assert "training done after 0:0" in shown
    assert "DeprecationWarning" not in shown
    assert "DeprecationWarning" in log.read_text()


def test_failed_training_shows_the_end_of_its_log(tmp_path):
    log = tmp_path / "train.log"
    script = "import sys; print('bad domain.yml: line 3'); sys.exit(3)"
    out = io.StringIO()
    status = run_with_progress([sys.executable, "-c", script], log, "Training", out, 0.05)
    assert status == 3
    assert "bad domain.yml: line 3" in out.getvalue()
    assert "training failed" in out.getvalue()
