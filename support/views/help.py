"""The help centre (/help/): search over the articles, articles by category,
and the assistant ("Ask us"): a question gets an answer card (HTMX, or a
whole page without JavaScript) with "Did this help? yes / no, talk to a
person". Another customer's conversation is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Customer
from core import clock
from metering.forms import read_form
from support.forms.help import AskForm, FeedbackForm, SearchForm
from support.knowledge import faq_search, published_articles
from support.models import FaqCategory
from support.services.assistant import (
    AssistantAnswer,
    AssistantError,
    assistant_answer,
    assistant_ask,
    assistant_feedback,
    customer_conversation,
    disputable_invoices,
)
from support.services.tickets import TicketError

ANSWER = "support/help/_answer.html"
FEEDBACK = "support/help/_feedback.html"


def _customer(request: HttpRequest) -> Customer | None:
    if not request.user.is_authenticated:
        return None
    return Customer.objects.filter(user=request.user).first()


def _categories() -> list[FaqCategory]:
    categories = list(FaqCategory.objects.order_by("position", "id"))
    articles = published_articles().order_by("id")
    by_category: dict[int, list] = {}
    for item in articles:
        by_category.setdefault(item.category_id, []).append(item)
    for item in categories:
        item.published = by_category.get(item.pk, [])
    return [item for item in categories if item.published]


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    """Search box, the assistant and the articles by category."""
    search = SearchForm(request.GET or None)
    hits = None
    if search.is_valid() and search.cleaned_data["q"]:
        hits = faq_search(query=search.cleaned_data["q"], limit=10)
    return render(
        request,
        "support/help/home.html",
        {
            "search": search,
            "hits": hits,
            "categories": _categories(),
            "ask_form": AskForm(),
            "customer": _customer(request),
        },
    )


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(published_articles(), slug=slug)
    related = published_articles().filter(category=item.category).exclude(pk=item.pk).order_by("id")[:5]
    return render(
        request,
        "support/help/article.html",
        {"article": item, "related": related, "customer": _customer(request), "ask_form": AskForm()},
    )


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(FaqCategory, slug=slug)
    articles = published_articles().filter(category=item).order_by("id")
    return render(request, "support/help/category.html", {"category": item, "articles": articles})


def _with_forms(answer: AssistantAnswer) -> AssistantAnswer:
    """Give the answer's reading panels their forms and the card its feedback form."""
    today = timezone.localdate(clock.now())
    if answer.data is not None:
        for panel in answer.data.panels:
            panel.form = read_form(register=panel.register, today=today)
    answer.feedback_form = FeedbackForm(invoices=disputable_invoices(customer=answer.conversation.customer))
    return answer


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """The question form; a POST answers it (the card for HTMX, else the conversation page)."""
    customer = _customer(request)
    if customer is None:
        return redirect("onboarding")
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answer = assistant_ask(
                customer=customer,
                question=form.cleaned_data["question"],
                language=translation.get_language() or customer.language,
                as_of=clock.now(),
            )
        except AssistantError as error:
            form.add_error("question", str(error))
        else:
            if request.htmx:
                return render(request, ANSWER, {"answer": _with_forms(answer)})
            return redirect("help:conversation", conversation_id=answer.conversation.pk)
    status = 400 if request.method == "POST" else 200
    if request.htmx:
        # htmx swaps only successful responses: the errors come with 200.
        return render(request, "support/help/_ask_errors.html", {"ask_form": form})
    return render(request, "support/help/ask.html", {"ask_form": form, "customer": customer}, status=status)


def _own_conversation(request: HttpRequest, conversation_id: int):
    customer = _customer(request)
    found = customer_conversation(customer=customer, conversation_id=conversation_id) if customer else None
    if found is None:
        raise Http404
    return found


@login_required
@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = _own_conversation(request, conversation_id)
    answer = _with_forms(assistant_answer(conversation=found, as_of=clock.now()))
    return render(request, "support/help/ask.html", {"ask_form": AskForm(), "answer": answer})


@login_required
@require_POST
def feedback(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Yes: thanks. No (or a question for a person): a ticket with the conversation."""
    found = _own_conversation(request, conversation_id)
    form = FeedbackForm(request.POST, invoices=disputable_invoices(customer=found.customer))
    ticket = None
    if form.is_valid() and form.cleaned_data["solved"] is not None:
        try:
            ticket = assistant_feedback(
                conversation=found,
                solved=form.cleaned_data["solved"],
                details=form.cleaned_data["details"],
                invoice=form.cleaned_data["invoice"],
                as_of=clock.now(),
            )
        except (AssistantError, TicketError) as error:
            form.add_error(None, str(error))
    elif form.is_valid():
        form.add_error(None, _("Please tell us whether this answer helped."))
    if form.errors:
        answer = _with_forms(assistant_answer(conversation=found, as_of=clock.now()))
        answer.feedback_form = form
        if request.htmx:
            return render(request, FEEDBACK, {"answer": answer, "conversation": found})
        return render(request, "support/help/ask.html", {"ask_form": AskForm(), "answer": answer}, status=400)
    if ticket is not None:
        message = _("Thank you. Our team has your request with the reference %(reference)s.") % {
            "reference": ticket.reference
        }
        if request.htmx:
            return render(request, FEEDBACK, {"ticket": ticket, "message": message, "conversation": found})
        messages.success(request, message)
        return redirect("support:ticket_detail", reference=ticket.reference)
    message = _("Thank you for your feedback. We are glad we could help.")
    if request.htmx:
        return render(request, FEEDBACK, {"message": message, "conversation": found})
    messages.success(request, message)
    return redirect("help:home")
