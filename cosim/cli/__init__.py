"""The ``cosim`` command line: ``cosim simulate | prune | evolve | sweep | pareto | plot | presets``.

Subcommands live one per module (cosim/cli/<name>_cmd.py) and load lazily, so ``cosim --help`` stays
fast. Every user error (CosimError) prints one line ``error: ...`` on stderr and exits with code 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from cosim.errors import CosimError

# command name → module defining a click command named ``command``
SUBCOMMANDS = {
    "simulate": "cosim.cli.simulate_cmd",
    "presets": "cosim.cli.presets_cmd",
    "prune": "cosim.cli.prune_cmd",
    "evolve": "cosim.cli.evolve_cmd",
    "sweep": "cosim.cli.sweep_cmd",
    "pareto": "cosim.cli.pareto_cmd",
    "plot": "cosim.cli.plot_cmd",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(SUBCOMMANDS)

    def get_command(self, ctx, name):
        mod = SUBCOMMANDS.get(name)
        return None if mod is None else importlib.import_module(mod).command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cosim")
def cli():
    """cosim: simulate pruned neural networks on candidate accelerators, sweep design spaces,
    co-search pruning with hardware, and plot energy–latency Pareto fronts."""


_COMPILING = ("simulate", "sweep", "prune", "evolve", "pareto")  # commands that run the Numba kernels


def _note_cold_kernels(argv) -> None:
    """A person at a terminal waiting on the first compile gets one line saying why; scripts and pipes
    (stderr not a terminal) keep their output exactly as documented: one line per error."""
    args = sys.argv[1:] if argv is None else list(argv)
    if sys.stderr.isatty() and args and args[0] in _COMPILING and not any(a in ("-h", "--help") for a in args):
        from cosim.kernels.compile_note import NOTE, kernel_cache_is_cold

        if kernel_cache_is_cold():
            click.echo(NOTE, err=True)


def main(argv=None) -> int:
    try:
        _note_cold_kernels(argv)
        cli.main(args=argv, prog_name="cosim", standalone_mode=False)
    except CosimError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as e:  # one line, as for every other user error
        hint = f" (see `cosim {e.ctx.info_name} --help`)" if e.ctx is not None and e.ctx.info_name != "cosim" else ""
        click.echo(f"error: {' '.join(e.format_message().split())[:300]}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as e:
        e.show()
        sys.exit(2 if e.exit_code in (1, 2) else e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    return 0


if __name__ == "__main__":
    main()
