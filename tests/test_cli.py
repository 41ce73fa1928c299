import pytest

from parley import __version__
from parley.cli import COMMANDS, main, register


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == f"parley {__version__}"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "Parley commands: " in capsys.readouterr().err


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'no-such-command'" in err
    assert "version" in err


def test_registered_command() -> None:
    seen: list[list[str]] = []

    @register("x-echo")
    def echo(argv: list[str]) -> int:
        seen.append(argv)
        return 3

    try:
        assert main(["x-echo", "a", "b"]) == 3
        assert seen == [["a", "b"]]
    finally:
        del COMMANDS["x-echo"]


def test_django_commands_pass_through(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    assert "System check identified no issues" in capsys.readouterr().out


def test_django_command_errors_keep_their_status() -> None:
    assert main(["check", "--no-such-option"]) == 2
