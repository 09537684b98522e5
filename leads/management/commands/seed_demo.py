from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from leads.accounts import create_user, get_or_create_team
from leads.models import Activity, ApiKey, Lead, LeadEvent, Product, Source, Team
from leads.roles import Role
from leads.targets import compute_respond_by

DEMO_PASSWORD = "leadresponse-demo"  # noqa: S105 - demo data only; seed_demo refuses production
REPS = [("ana", "Ana", "Ortiz"), ("ben", "Ben", "Okafor"), ("chloe", "Chloe", "Martin")]
PRODUCTS = ["Starter plan", "Pro plan", "Enterprise"]
# Prospects who stop answering, and qualified ones who do not order, are closed as lost after
# this long, as a rep working the queue would: each rep keeps fewer open leads than the cap
# of 25, so leads posted to the demo still go to reps rather than unrouted to the manager.
GONE_QUIET_AFTER = timedelta(days=7)
PROSPECTS = [
    ("Maria Rossi", "Rossi Logistics"),
    ("Tom Becker", "Becker Bau"),
    ("Aisha Khan", "Khan Dental"),
    ("Luis Fernández", "Fernández & Hijos"),
    ("Emma Wilson", "Northwind Foods"),
    ("Kenji Sato", "Sato Robotics"),
    ("Olga Petrova", "Petrova Design"),
    ("Noah Smith", ""),
    ("Fatima Zahra", "Atlas Travel"),
    ("Jonas Berg", "Berg Consulting"),
]
QUESTIONS = [
    "What does the Pro plan cost for a team of 12?",
    "Can it import our contacts from a spreadsheet?",
    "Do you offer an on-premise option?",
    "We need a demo this week, who can show us around?",
    "Is there a discount for non-profits?",
    "How long does onboarding usually take?",
]


class Command(BaseCommand):
    help = (
        "Fill an empty database with a demo team, its manager, three reps, a marketing user, "
        "a form and an API source, and a few weeks of leads. Prints how to log in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=4)
        parser.add_argument("--seed", type=int, default=7, help="Random seed, for repeatable data.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates users with a known password: not in production.")
        if get_user_model().objects.exists():
            raise CommandError("The database already has users; seed_demo fills empty ones only.")
        api_key = self._seed(weeks=options["weeks"], rng=random.Random(options["seed"]))  # noqa: S311 - demo data
        self.stdout.write(
            "Demo ready. Log in at "
            f"{settings.SITE_URL}/login/ with password {DEMO_PASSWORD!r} as:\n"
            "  manager    (follow-up board, metrics)\n"
            "  ana, ben, chloe    (reps: their queues)\n"
            "  marketing  (sources)\n"
            "  admin      (everything, /admin/)\n"
            f"Demo form: {settings.SITE_URL}/f/website/\n"
            f"Demo API key (source 'Partner API'): {api_key}"
        )

    @transaction.atomic
    def _seed(self, *, weeks: int, rng: random.Random) -> str:
        team = get_or_create_team("Demo Sales")
        team.is_default = True
        team.save(update_fields=["is_default"])
        products = [
            Product.objects.create(name=name, slug=f"p{i}") for i, name in enumerate(PRODUCTS)
        ]
        create_user(
            username="manager",
            role=Role.MANAGER,
            team=team,
            password=DEMO_PASSWORD,
            first_name="Morgan",
            last_name="Lee",
            email="manager@example.com",
        )
        reps = []
        for i, (username, first, last) in enumerate(REPS):
            rep = create_user(
                username=username,
                role=Role.REP,
                team=team,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
            )
            rep.rep_profile.products.set(products[i : i + 2])
            reps.append(rep)
        create_user(username="marketing", role=Role.MARKETING, password=DEMO_PASSWORD)
        create_user(username="admin", role=Role.ADMIN, password=DEMO_PASSWORD)

        form = Source.objects.create(name="Website", slug="website", kind=Source.Kind.FORM)
        api = Source.objects.create(name="Partner API", slug="partner-api", kind=Source.Kind.API)
        _, raw_key = ApiKey.issue(source=api, name="demo")

        now = timezone.now()
        start = now - timedelta(weeks=weeks)
        received = start
        while received < now - timedelta(minutes=20):
            # About 8 leads a working day, fewer at weekends.
            gap_hours = rng.expovariate(1 / (3 if received.weekday() < 5 else 10))
            received += timedelta(hours=gap_hours)
            if received >= now:
                break
            self._seed_lead(
                team=team,
                source=rng.choice([form, form, api]),
                owner=rng.choice(reps),
                product=rng.choice(products),
                received_at=received,
                now=now,
                rng=rng,
            )
        return raw_key

    def _seed_lead(
        self,
        *,
        team: Team,
        source: Source,
        owner: Any,
        product: Product,
        received_at: datetime,
        now: datetime,
        rng: random.Random,
    ) -> None:
        name, company = rng.choice(PROSPECTS)
        temperature = rng.choice(["hot", "warm", "warm", "cold"])
        lead = Lead.objects.create(
            source=source,
            team=team,
            owner=owner,
            name=name,
            company=company,
            email=f"{name.split()[0].lower()}.{rng.randint(1, 9999)}@example.com",
            phone=f"+44 20 7946 {rng.randint(0, 9999):04d}",
            message=rng.choice(QUESTIONS),
            product=product,
            temperature=temperature,
            received_at=received_at,
            assigned_at=received_at,
            respond_by=compute_respond_by(
                received_at=received_at, team=team, source=source, temperature=temperature
            ),
        )
        lead.record_event(LeadEvent.Type.CREATED, at=received_at, source=source.slug)
        lead.record_event(
            LeadEvent.Type.ASSIGNED, at=received_at, owner=owner.username, reason="demo data"
        )

        # Most leads are called within the hour, some late, a few never.
        delay = timedelta(minutes=rng.choice([4, 9, 18, 35, 52, 75, 140, 600]))
        touched_at = received_at + delay
        if touched_at > now or rng.random() < 0.08:
            return
        reached = rng.random() < 0.7
        self._log(lead, owner, touched_at, reached=reached)
        lead.first_touch_at = touched_at
        lead.record_event(LeadEvent.Type.TOUCHED, at=touched_at, actor=owner)
        if not reached:
            touched_at += timedelta(hours=rng.choice([2, 5, 24]))
            if touched_at > now:
                lead.save()
                return
            self._log(lead, owner, touched_at, reached=True)
        lead.first_contact_at = touched_at
        lead.status = Lead.Status.CONTACTED
        lead.record_event(LeadEvent.Type.CONTACTED, at=touched_at, actor=owner)

        outcome = rng.random()
        later = touched_at + timedelta(days=rng.randint(1, 6))
        if outcome < 0.35 and later < now:
            lead.status, lead.qualified_at = Lead.Status.QUALIFIED, later
            if rng.random() < 0.4 and later + timedelta(days=3) < now:
                lead.status, lead.ordered_at = Lead.Status.ORDERED, later + timedelta(days=3)
                lead.closed_at = lead.ordered_at
            elif later + GONE_QUIET_AFTER < now:
                lead.status, lead.closed_at = Lead.Status.LOST, later + GONE_QUIET_AFTER
                lead.close_reason = Lead.CloseReason.BOUGHT_ELSEWHERE
        elif outcome < 0.55 and later < now:
            lead.status, lead.closed_at = Lead.Status.DISQUALIFIED, later
            lead.close_reason = rng.choice(["no_budget", "not_a_fit", "bought_elsewhere"])
        elif touched_at + GONE_QUIET_AFTER < now:
            lead.status, lead.closed_at = Lead.Status.LOST, touched_at + GONE_QUIET_AFTER
            lead.close_reason = Lead.CloseReason.UNREACHABLE
        if lead.status != Lead.Status.CONTACTED:
            lead.record_event(
                LeadEvent.Type.STATUS_CHANGED,
                at=lead.closed_at or lead.qualified_at,
                actor=owner,
                status=lead.status,
            )
        lead.save()

    @staticmethod
    def _log(lead: Lead, rep: Any, at: datetime, *, reached: bool) -> None:
        Activity.objects.create(
            lead=lead,
            rep=rep,
            kind=Activity.Kind.CALL,
            outcome=Activity.Outcome.REACHED if reached else Activity.Outcome.NO_ANSWER,
            occurred_at=at,
            created_at=at,
        )
