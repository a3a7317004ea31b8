"""Offers and requests: browse and search, post your own, and answer other members' ones."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from timebank.errors import InvalidDetail, InvalidInput, TimeBankError
from timebank.extensions import db
from timebank.members.models import Member
from timebank.offers import queries, services
from timebank.offers.models import Listing
from timebank.offers.skills import skill_categories
from timebank.offers.times import (
    DAYS,
    PARTS,
    TRAVEL_WORDS,
    Slot,
    mask_in_words,
    mask_to_slots,
    slot_value,
    slots_from_values,
)
from timebank.web.confirm import Question, are_you_sure
from timebank.web.errors import form_errors, shown_on_form

bp = Blueprint("offers", __name__)

# How each kind of listing is asked about and answered, in the member's words.
WORDING = {
    "offer": {
        "post_title": "Post an offer",
        "title_label": "What can you offer?",
        "title_hint": "A few words, for example: Lifts to the surgery",
        "description_label": "More about it (optional)",
        "times_label": "When can you do it? (optional)",
        "times_hint": "Tick the parts of the week you are usually free.",
        "availability_label": "Anything else about when? (optional)",
        "area_label": "Your area (optional)",
        "answer": "Ask for this",
    },
    "request": {
        "post_title": "Ask for help",
        "title_label": "What do you need?",
        "title_hint": "A few words, for example: Help with a council tax letter",
        "description_label": "More details (optional)",
        "times_label": "When do you need it?",
        "times_hint": "Tick any time, or the parts of the week that suit you.",
        "availability_label": "Anything else about when? (optional)",
        "area_label": "Where? (optional)",
        "answer": "I can help",
    },
}


def _categories(first: str, keep: str = "") -> list[SelectChoice]:
    """Return the bank's skill categories as choices, after a first empty choice.

    `keep` is a changed listing's own category, still offered after an admin hid it.
    """
    names = list(skill_categories(db.session(), current_user.bank_id))
    if keep and keep not in names:
        names.append(keep)
    return [SelectChoice("", first), *(SelectChoice(name, name) for name in names)]


# Every part of every day, in the order the form shows them.
SLOT_CHOICES = [
    SelectChoice(slot_value(Slot(day, part)), part.capitalize())
    for day in range(len(DAYS))
    for part in PARTS
]


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing, and its address can be bookmarked

    q = StringField("Search for", validators=[Optional(), Length(max=100)])
    skill = SelectField("Kind of help", validators=[Optional()])
    kind = RadioField(
        "Show",
        choices=[
            SelectChoice("", "Offers and requests"),
            SelectChoice("offer", "Offers"),
            SelectChoice("request", "Requests"),
        ],
        default="",
        validators=[Optional()],
    )


class ListingForm(FlaskForm):
    skill_category = SelectField(
        "What kind of help is it?", validators=[InputRequired("Choose the kind of help.")]
    )
    title = StringField("Title", validators=[InputRequired("Say in a few words what it is.")])
    description = TextAreaField("Description")
    any_time = BooleanField("Any time")
    times = SelectMultipleField("When", choices=SLOT_CHOICES, validate_choice=False)
    availability = StringField("When")
    area = StringField("Where")
    travel = RadioField(
        "How far will you go to help?",
        choices=[SelectChoice(value, words) for value, words in TRAVEL_WORDS.items()],
        default="nearby",
        validate_choice=False,
    )
    needs_check = BooleanField("This needs a home visit or personal care")

    def prepare(self, kind: str, keep_category: str = "") -> None:
        """Offer the bank's skill categories and word the labels for an offer or request."""
        words = WORDING[kind]
        self.skill_category.choices = _categories("Choose one", keep_category)
        self.title.label.text = words["title_label"]
        self.description.label.text = words["description_label"]
        self.times.label.text = words["times_label"]
        self.availability.label.text = words["availability_label"]
        self.area.label.text = words["area_label"]

    def show_listing(self, listing: Listing) -> None:
        """Tick the times a listing already has, when the form first shows to change it."""
        self.times.data = [slot_value(slot) for slot in mask_to_slots(listing.slots)]
        self.any_time.data = listing.kind == "request" and not listing.slots

    def draft(self, kind: str) -> services.ListingDraft:
        """Return what was typed and ticked, or raise InvalidDetail about the times."""
        try:
            slots = slots_from_values(self.times.data or [])
        except InvalidInput as error:
            raise InvalidDetail("times", error.message) from error
        if self.any_time.data and slots:
            raise InvalidDetail(
                "times", "Tick either any time or the times that suit you, not both."
            )
        return services.ListingDraft(
            kind=kind,
            skill_category=self.skill_category.data or "",
            title=self.title.data or "",
            description=self.description.data or "",
            availability=self.availability.data or "",
            area=self.area.data or "",
            slots=slots,
            travel=self.travel.data or "",
            needs_check=bool(self.needs_check.data),
        )


class ContactForm(FlaskForm):
    message = TextAreaField(
        "Message (optional)",
        validators=[Length(max=services.MESSAGE_LIMIT, message="Keep your message shorter.")],
    )


def _listing(listing_id: int) -> Listing:
    """Return a listing of the signed-in member's bank (another bank's answers 404)."""
    return services.listing_in_bank(db.session(), current_user.bank_id, listing_id)


def _own_open_listing(listing_id: int) -> Listing:
    """Return a listing the signed-in member may change; any other answers 404."""
    try:
        return services.own_open_listing(
            db.session(), current_user.bank_id, current_user.id, listing_id
        )
    except (services.NotYourListing, services.ListingClosed):  # not a page of theirs to change
        abort(404)


@bp.get("/offers")
@login_required
def browse() -> ResponseReturnValue:
    form = SearchForm(request.args)
    form.skill.choices = _categories("Any kind of help")
    form.validate()
    search = queries.ListingSearch(
        words=form.q.data or "",
        skill_category=form.skill.data or "",
        kind=form.kind.data or "",
        page=request.args.get("page", 1, type=int),
    )
    results = queries.search_listings(db.session(), current_user.bank_id, current_user.id, search)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "offers/browse.html", form=form, results=results, args=args, searched=bool(args)
    )


@bp.get("/offers/mine")
@login_required
def mine() -> ResponseReturnValue:
    bank_id, member_id = current_user.bank_id, current_user.id
    return render_template(
        "offers/mine.html",
        listings=queries.own_listings(db.session(), bank_id, member_id),
        received=queries.answers_received(db.session(), bank_id, member_id),
        sent=queries.answers_sent(db.session(), bank_id, member_id),
    )


def _post(kind: str) -> ResponseReturnValue:
    form = ListingForm()
    form.prepare(kind)
    if form.validate_on_submit():
        with form_errors(form) as shown:
            draft = form.draft(kind)
            listing = services.post_listing(
                db.session(), current_user.bank_id, current_user.id, draft
            )
        if not shown.failed:
            flash(f"Your {kind} is posted. Other members can now see it.", "success")
            return redirect(url_for("offers.listing", listing_id=listing.id))
    return render_template(
        "offers/post.html", form=form, kind=kind, words=WORDING[kind], editing=False, days=DAYS
    )


@bp.route("/offers/new/offer", methods=["GET", "POST"])
@login_required
def new_offer() -> ResponseReturnValue:
    return _post("offer")


@bp.route("/offers/new/request", methods=["GET", "POST"])
@login_required
def new_request() -> ResponseReturnValue:
    return _post("request")


@bp.get("/offers/<int:listing_id>")
@login_required
def listing(listing_id: int) -> ResponseReturnValue:
    item = _listing(listing_id)
    owner = db.session.get(Member, item.member_id)
    mine = item.member_id == current_user.id
    answers = queries.answers_to_listing(db.session(), item.bank_id, item.id) if mine else []
    previous = None if mine else services.last_contact(db.session(), item.id, current_user.id)
    return render_template(
        "offers/listing.html",
        listing=item,
        owner=owner,
        mine=mine,
        answers=answers,
        previous=previous,
        words=WORDING[item.kind],
        times=mask_in_words(item.slots),
        travel=TRAVEL_WORDS.get(item.travel, ""),
    )


@bp.route("/offers/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int) -> ResponseReturnValue:
    item = _own_open_listing(listing_id)
    form = ListingForm(obj=item)
    form.prepare(item.kind, keep_category=item.skill_category)
    if not form.is_submitted():
        form.show_listing(item)
    if form.validate_on_submit():
        with form_errors(form) as shown:
            draft = form.draft(item.kind)
            services.update_listing(db.session(), item.bank_id, current_user.id, item.id, draft)
        if not shown.failed:
            flash(f"Your {item.kind} is updated.", "success")
            return redirect(url_for("offers.listing", listing_id=item.id))
    return render_template(
        "offers/post.html",
        form=form,
        kind=item.kind,
        words=WORDING[item.kind],
        editing=True,
        days=DAYS,
    )


@bp.get("/offers/<int:listing_id>/close")
@login_required
def close_question(listing_id: int) -> ResponseReturnValue:
    """Ask "Are you sure?" before closing; the page's button posts to `close`."""
    item = _listing(listing_id)
    try:
        services.own_open_listing(db.session(), item.bank_id, current_user.id, item.id)
    except (services.NotYourListing, services.ListingClosed):  # nothing to ask: show the listing
        return redirect(url_for("offers.listing", listing_id=item.id))
    return are_you_sure(
        Question(
            heading=f"Close this {item.kind}?",
            details=(f"“{item.title}”",),
            what_happens=(
                f"Other members will no longer see it or be able to answer it. You cannot open "
                f"it again, but you can post a new {item.kind} at any time."
            ),
            yes=f"Yes, close this {item.kind}",
            action=url_for("offers.close", listing_id=item.id),
            back=url_for("offers.listing", listing_id=item.id),
        )
    )


@bp.post("/offers/<int:listing_id>/close")
@login_required
def close(listing_id: int) -> ResponseReturnValue:
    try:
        item = services.close_listing(
            db.session(), current_user.bank_id, current_user.id, listing_id
        )
    except services.NotYourListing:
        abort(404)  # someone else's listing is not a page of yours
    flash(f"Your {item.kind} is closed. Other members no longer see it.", "success")
    return redirect(url_for("offers.mine"))


@bp.route("/offers/<int:listing_id>/contact", methods=["GET", "POST"])
@login_required
def contact(listing_id: int) -> ResponseReturnValue:
    item = _listing(listing_id)
    owner = db.session.get(Member, item.member_id)
    assert owner is not None  # a listing's member always exists (foreign key)
    refusal = services.why_not_answerable(item, owner, current_user.id)
    if refusal is not None:
        flash(refusal, "info")
        return redirect(url_for("offers.listing", listing_id=item.id))
    form = ContactForm()
    if form.validate_on_submit():
        try:
            result = services.contact_listing(
                db.session(), item.bank_id, current_user.id, item.id, form.message.data or ""
            )
        except services.AlreadyContacted as error:  # not a mistake: back to the listing
            flash(error.message, "info")
            return redirect(url_for("offers.listing", listing_id=item.id))
        except TimeBankError as error:
            if not shown_on_form(form, error):
                raise
        else:
            name = result.to_member.first_name
            how = (
                "We have sent them a text."
                if result.texted
                else "They will see it when they sign in."
            )
            flash(f"We have let {name} know you are interested. {how}", "success")
            return redirect(url_for("offers.listing", listing_id=item.id))
    return render_template(
        "offers/contact.html", form=form, listing=item, owner=owner, words=WORDING[item.kind]
    )
