"""Load the shipped articles, catalogue and matching rules into the database.

Safe to run on every start: it only adds shipped entries that are missing, so whatever an
editor changed in the admin, published or still a draft, stays as it is. --reset puts the
shipped text back on purpose; drafts are never touched, and a draft of a restored entry then
shows its reviewer that the published version changed under it.
"""

import tomllib
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from knowledge import markup, matching
from knowledge.models import Article, Cause, Citation, MatchRule, RedFlag, Revision, Tip

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
ENTRY_FIELDS = {
    "causes": ("title", "summary", "body", "category"),
    "tips": ("title", "summary", "body", "kind"),
    "red_flags": ("title", "summary", "body"),
}
# Fields a catalogue entry may leave out: they then take the model's default.
OPTIONAL_FIELDS = {
    "articles": ("source_kind", "author", "source_date"),
    "tips": ("general", "habits"),
}
ENTRY_MODELS = {"causes": Cause, "tips": Tip, "red_flags": RedFlag}
CITATION_FIELD = {"causes": "cause", "tips": "tip", "red_flags": "red_flag"}


class Command(BaseCommand):
    help = "Load the shipped knowledge base. Adds what is missing and never changes edited entries."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore the shipped text of shipped entries, undoing edits made in the admin.",
        )
        parser.add_argument(
            "--content-dir",
            type=Path,
            default=CONTENT_DIR,
            help="Folder holding catalogue.toml, rules.toml and articles/ (default: %(default)s).",
        )

    def handle(self, *args, reset=False, content_dir=CONTENT_DIR, **options):
        catalogue = read_toml(content_dir / "catalogue.toml")
        rules_path = content_dir / "rules.toml"
        rules = read_toml(rules_path).get("rules", []) if rules_path.exists() else []
        bodies = read_articles(content_dir / "articles", catalogue.get("articles", []))
        check_citations(catalogue, bodies)
        names = ["articles", "causes", "tips", "red_flags", "citations", "rules"]
        self.created, self.updated = dict.fromkeys(names, 0), dict.fromkeys(names, 0)
        self.drafts = 0
        with transaction.atomic():
            self.load_articles(catalogue.get("articles", []), bodies, reset)
            for section in ("causes", "red_flags", "tips"):
                self.load_entries(section, catalogue.get(section, []), reset)
            self.load_rules(rules, reset)
        self.stdout.write(self.summary())

    def count(self, tally, name, number=1):
        tally[name] += number

    def summary(self):
        def describe(tally):
            return ", ".join(
                f"{number} {name.replace('_', ' ')}" for name, number in tally.items() if number
            )

        created, updated = describe(self.created), describe(self.updated)
        if not created and not updated:
            return "Knowledge base up to date: nothing created or changed."
        summary = "Knowledge base loaded: created {}; restored {}.".format(
            created or "nothing", updated or "nothing"
        )
        if self.drafts:
            summary += (
                f" {self.drafts} open drafts of restored entries are kept; their reviewers "
                "will see that the published version changed."
            )
        return summary

    def save(self, model, key, fields, reset, name, natural):
        """Create the row if missing; with reset, also put shipped values back. -> (obj, touched)

        The row is found by the key it was shipped under, so an editor's renamed cause or
        retuned rule is still the shipped one, not a reason to add it again. A row an editor
        made under the shipped name (`natural`: the slug, or a rule's target, fact and value)
        becomes the shipped one, kept as the editor left it.
        """
        obj = model.objects.filter(shipped_key=key).first()
        if obj is None:
            obj = model.objects.filter(shipped_key="", **natural).first()
            if obj is not None:
                model.objects.filter(pk=obj.pk).update(shipped_key=key)
        if obj is None:
            obj = model(shipped_key=key, **fields)
            full_clean(obj, name)
            obj._change_reason = "Shipped content loaded"
            obj.save()
            self.count(self.created, name)
            return obj, True
        if reset and any(getattr(obj, field) != value for field, value in fields.items()):
            for field, value in fields.items():
                setattr(obj, field, value)
            full_clean(obj, name)
            obj._change_reason = "Shipped text restored (load_knowledge --reset)"
            obj.save()
            self.count(self.updated, name)
            self.drafts += Revision.objects.open().of(model, obj.pk).count()
        return obj, reset

    def load_articles(self, articles, bodies, reset):
        for item in articles:
            fields = {
                "title": item["title"],
                "slug": item["slug"],
                "source_file": item.get("source_file", ""),
                "body": bodies[item["slug"]],
                "editor_note": item.get("editor_note", "").strip(),
                "published": True,
            }
            fields |= optional_fields(Article, "articles", item)
            self.save(Article, item["slug"], fields, reset, "articles", {"slug": item["slug"]})

    def load_entries(self, section, items, reset):
        model = ENTRY_MODELS[section]
        for item in items:
            fields = {name: item[name].strip() for name in ENTRY_FIELDS[section]}
            fields |= optional_fields(model, section, item)
            fields["slug"], fields["published"] = item["slug"], True
            natural = {"slug": item["slug"]}
            entry, touched = self.save(model, item["slug"], fields, reset, section, natural)
            if not touched:
                continue
            if section == "tips":
                causes = list(Cause.objects.filter(shipped_key__in=item.get("causes", [])))
                if len(causes) != len(set(item.get("causes", []))):
                    raise CommandError(f"Tip {item['slug']} names a cause that does not exist.")
                if set(entry.causes.all()) != set(causes):
                    entry.causes.set(causes)
            self.load_citations(section, entry, item.get("citations", []))

    def load_citations(self, section, entry, items):
        shipped = [(item["article"], item["quote"]) for item in items]
        existing = entry.citations.select_related("article")
        if sorted((c.article.shipped_key, c.quote) for c in existing) == sorted(shipped):
            return
        existing.delete()
        keys = {key for key, _quote in shipped}
        articles = {a.shipped_key: a for a in Article.objects.filter(shipped_key__in=keys)}
        for article_slug, quote in shipped:
            Citation.objects.create(
                article=articles[article_slug], quote=quote, **{CITATION_FIELD[section]: entry}
            )
        self.count(self.created, "citations", len(shipped))

    def load_rules(self, rules, reset):
        causes = {c.shipped_key: c for c in Cause.objects.exclude(shipped_key="")}
        red_flags = {r.shipped_key: r for r in RedFlag.objects.exclude(shipped_key="")}
        for number, item in enumerate(rules, start=1):
            if ("cause" in item) == ("red_flag" in item):
                raise CommandError(f"Rule {number} must name either a cause or a red flag.")
            targets, name = (causes, "cause") if "cause" in item else (red_flags, "red_flag")
            if item[name] not in targets:
                raise CommandError(f"Rule {number} names an unknown {name} “{item[name]}”.")
            errors = matching.validate_rule(item["fact"], item.get("value", ""), item["reason"])
            if errors:
                raise CommandError(f"Rule {number} is not valid: {errors}")
            fields = {
                name: targets[item[name]],
                "fact": item["fact"],
                "value": item.get("value", ""),
                "weight": item["weight"],
                "reason": item["reason"].strip(),
                "published": True,
            }
            key = f"{name}:{item[name]}:{item['fact']}:{fields['value']}"
            natural = {field: fields[field] for field in (name, "fact", "value")}
            self.save(MatchRule, key, fields, reset, "rules", natural)


def optional_fields(model, section, item):
    values = {}
    for name in OPTIONAL_FIELDS.get(section, ()):
        field = model._meta.get_field(name)
        values[name] = field.to_python(item[name]) if name in item else field.get_default()
    return values


def read_toml(path):
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CommandError(f"Cannot read {path}: {error}") from error


def read_articles(folder, articles):
    bodies = {}
    for item in articles:
        path = folder / f"{item['slug']}.md"
        try:
            bodies[item["slug"]] = path.read_text(encoding="utf-8").strip() + "\n"
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
    return bodies


def check_citations(catalogue, bodies):
    """Every shipped quote must appear word for word in the shipped article it cites."""
    for section in ENTRY_MODELS:
        for item in catalogue.get(section, []):
            for citation in item.get("citations", []):
                body = bodies.get(citation["article"])
                if body is None or citation["quote"] not in body:
                    closest = markup.closest_passage(citation["quote"], body or "")
                    raise CommandError(
                        f"{item['slug']}: a quote is not found in article {citation['article']}: "
                        f"“{citation['quote'][:80]}”"
                        + (f" The closest passage is: “{closest}”" if closest else "")
                    )


def full_clean(obj, name):
    try:
        obj.full_clean(validate_unique=False)
    except ValidationError as error:
        raise CommandError(f"Shipped {name} entry {obj} is not valid: {error}") from error
