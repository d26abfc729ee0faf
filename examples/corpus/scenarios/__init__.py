"""Corpus scenarios, a few per file by theme; ALL is the order bundles are built in."""

from corpus.scenarios import batch, capacity, control, crashloops, health, networking, platform, resources, stateful

ALL = [*crashloops.SCENARIOS, *resources.SCENARIOS, *networking.SCENARIOS, *health.SCENARIOS, *control.SCENARIOS,
       *batch.SCENARIOS, *stateful.SCENARIOS, *capacity.SCENARIOS, *platform.SCENARIOS]
