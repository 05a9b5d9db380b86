"""Scheduled briefings on PTB's JobQueue, rebuilt from the database (the queue keeps nothing).

One `run_once` job per active subscription, named `briefing:<chat>:<thread>`, at its next slot;
after a delivery the job plans the next one. At start-up a job catches up missed slots and
rebuilds every job; a repeating sweep does the same later (retries, races, lost jobs). A
light watch re-reads the schedule every few seconds, so a subscription made by the CLI or by
another instance sharing the database gets its job without a restart. Several instances may
schedule the same slot: the delivery claim lets one send it; the sweep runs on one instance
at a time (a job lock). Delays come from the service's clock, so an emulated clock drives
the real JobQueue.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from telegram.ext import ContextTypes, JobQueue

from bot.briefing.service import BriefingService, Plan
from bot.config import Settings
from bot.telegram.services import services

log = logging.getLogger(__name__)

# A job that fires late still runs; `deliver` decides about lateness with the grace period.
JOB_KWARGS: dict[str, Any] = {"misfire_grace_time": None}
STARTUP_JOB = "briefing-startup"
SWEEP_JOB = "briefing-sweep"
WATCH_JOB = "briefing-watch"
SCHEDULE_VERSION = "briefing_schedule_version"  # bot_data key: the version last planned from


def _named(job_queue: JobQueue[Any], name: str) -> list[Any]:
    return list(job_queue.jobs(re.compile(f"^{re.escape(name)}$")))


def unschedule(job_queue: JobQueue[Any] | None, name: str) -> None:
    if job_queue is None:
        return
    for job in _named(job_queue, name):
        job.schedule_removal()


def schedule(job_queue: JobQueue[Any] | None, svc: BriefingService, plan: Plan | None) -> None:
    """Replace the chat's (thread's) job with one for `plan`; None just removes it."""
    if job_queue is None or plan is None:
        return
    current = _named(job_queue, plan.job_name)
    if [job.data for job in current] == [plan]:
        return
    for job in current:
        job.schedule_removal()
    delay = max((plan.slot - svc.clock()).total_seconds(), 0.0)
    job_queue.run_once(
        briefing_job,
        delay,
        name=plan.job_name,
        data=plan,
        chat_id=plan.chat_id,
        job_kwargs=JOB_KWARGS,
    )


def replan(job_queue: JobQueue[Any] | None, svc: BriefingService) -> None:
    """One job per active subscription at its next slot; jobs of gone ones are removed."""
    if job_queue is None:
        return
    plans = {p.job_name: p for p in svc.plans()}
    for job in job_queue.jobs(re.compile(r"^briefing:")):
        if job.name not in plans:
            job.schedule_removal()
    for plan in plans.values():
        schedule(job_queue, svc, plan)


async def briefing_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliver one slot (idempotent), then plan the subscription's next slot."""
    assert context.job is not None and isinstance(context.job.data, Plan)
    plan = context.job.data
    svc = services(context).briefings
    try:
        await svc.deliver(plan.subscription_id, plan.slot)
    finally:
        schedule(context.job_queue, svc, svc.plan(plan.subscription_id, after=plan.slot))


async def briefing_sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Catch up missed or retryable slots (within grace), then rebuild the jobs.

    The catch-up runs on the instance holding the sweep lock; every instance replans."""
    svc = services(context)
    try:
        if await svc.engine.holds_job(SWEEP_JOB):
            await svc.briefings.catch_up()
    finally:
        replan(context.job_queue, svc.briefings)
        version = await asyncio.to_thread(svc.briefings.schedule_version)
        context.bot_data[SCHEDULE_VERSION] = version


async def briefing_watch(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replan when the subscriptions changed anywhere (CLI, another instance)."""
    svc = services(context)
    version = await asyncio.to_thread(svc.briefings.schedule_version)
    if context.bot_data.get(SCHEDULE_VERSION) == version:
        return
    context.bot_data[SCHEDULE_VERSION] = version
    log.info("subscriptions changed; rebuilding the briefing schedule")
    try:
        await svc.briefings.catch_up()  # a slot that came due before we noticed (claims: once)
    finally:
        replan(context.job_queue, svc.briefings)


def start_briefings(job_queue: JobQueue[Any] | None, settings: Settings) -> None:
    """At start-up: a catch-up and rebuild right away, then the repeating sweep."""
    if job_queue is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]); no scheduled briefings")
        return
    job_queue.run_once(briefing_sweep, 0, name=STARTUP_JOB, job_kwargs=JOB_KWARGS)
    interval = settings.briefing.sweep_seconds
    job_queue.run_repeating(briefing_sweep, interval=interval, first=interval, name=SWEEP_JOB)
    watch = settings.briefing.watch_seconds
    job_queue.run_repeating(briefing_watch, interval=watch, first=watch, name=WATCH_JOB)
