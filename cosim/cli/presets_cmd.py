"""``cosim presets``: list accelerator presets and zoo workloads."""

from __future__ import annotations

import click


@click.command("presets")
def command():
    """List the accelerator presets and the zoo workloads."""
    from cosim.hw.loader import load_accelerator, preset_names
    from cosim.workloads import zoo_names

    click.echo("accelerators:")
    for n in preset_names():
        spec = load_accelerator(n)
        click.echo(f"  {n:<28} {spec.kind:<20} {getattr(spec, 'description', '')}")
    click.echo("workloads:")
    from cosim.workloads.zoo import ZOO

    for n in zoo_names():
        defaults = getattr(ZOO[n], "defaults", {})
        params = " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in defaults.items())
        click.echo(f"  {n:<28} --param {params}" if params else f"  {n}")
    from cosim.cli.named_workloads import EMBEDDED

    for n in EMBEDDED:
        click.echo(f"  {n:<28} (embedded model, trained here by cosim prune)")
    from cosim.hw.loader import preset_dir

    shipped = preset_dir("workloads")
    for p in sorted(shipped.glob("*.yaml")) if shipped.is_dir() else []:
        click.echo(f"  {p.stem:<28} (shipped YAML workload, workloads/{p.name})")
