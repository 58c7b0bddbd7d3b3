"""The onboarding wizard ("Save Customer Details") and the IBAN check.

One wizard serves customers in the portal and agents on the phone: the
agent version (portal.staff) only changes where the answers are kept, who
the new customer's login is and where the confirmation page lives.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import validation
from accounts.forms import STEP_FIELDS, STEPS, CustomerDetailsForm, SessionData, creditor_id, new_mandate_reference
from accounts.models import Account, Customer, CustomerType, PaymentMethod
from accounts.services import EmailAlreadyUsed, customer_onboard
from core import clock

STEP_NAMES = [name for name, _label in STEPS]


class OnboardingWizard(View):
    """Five steps; each validates when it is left; answers live in the session."""

    session_key = "onboarding"
    url_name = "onboarding_step"
    done_url_name = "onboarding_done"
    template_name = "accounts/onboarding.html"
    staff_mode = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.staff_mode and hasattr(request.user, "customer"):
            messages.info(request, _("Your customer details are already saved."))
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    # --- helpers -----------------------------------------------------------
    def store(self) -> SessionData:
        return SessionData(self.request.session, self.session_key)

    def step_url(self, step: str) -> str:
        return reverse(self.url_name, kwargs={"step": step})

    def completed_steps(self, data: dict[str, Any]) -> set[str]:
        done = set()
        for name in STEP_NAMES[:-1]:
            form = CustomerDetailsForm(self.step_data(data, name), step=name)
            if not form.is_valid():
                break
            done.add(name)
        return done

    def step_data(self, data: dict[str, Any], step: str) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k in STEP_FIELDS[step]}

    def initial_for(self, step: str, data: dict[str, Any]) -> dict[str, Any]:
        initial = dict(self.step_data(data, step))
        if step == "contact" and "email" not in initial and not self.staff_mode:
            initial["email"] = self.request.user.email
        if step == "payment" and not initial.get("mandate_reference"):
            initial["mandate_reference"] = new_mandate_reference()
            self.store().save_step({"mandate_reference": initial["mandate_reference"]})
        if step == "payment" and not initial.get("account_holder"):
            person = " ".join(filter(None, [data.get("first_name", ""), data.get("last_name", "")]))
            initial["account_holder"] = data.get("company_name") or person
        return initial

    def context(self, step: str, form: CustomerDetailsForm | None, data: dict[str, Any]) -> dict[str, Any]:
        done = self.completed_steps(data)
        index = STEP_NAMES.index(step)
        steps = [
            {
                "name": name,
                "label": label,
                "number": i + 1,
                "current": name == step,
                "done": name in done,
                "reachable": i <= index or all(n in done for n in STEP_NAMES[:i]),
                "url": self.step_url(name),
            }
            for i, (name, label) in enumerate(STEPS)
        ]
        mandate_reference = data.get("mandate_reference", "")
        if form is not None and "mandate_reference" in form.fields:
            mandate_reference = form["mandate_reference"].value() or mandate_reference
        return {
            "form": form,
            "step": step,
            "steps": steps,
            "step_number": index + 1,
            "step_count": len(STEPS),
            # Forms post to their own step, not to request.path: after an HTMX swap
            # the request that rendered the step is the previous step's POST.
            "step_url": self.step_url(step),
            "previous_url": self.step_url(STEP_NAMES[index - 1]) if index > 0 else None,
            "data": data,
            "review": self.review_rows(data) if step == "review" else None,
            "creditor_id": creditor_id(),
            "mandate_reference": mandate_reference,
            "staff_mode": self.staff_mode,
            "iban_check_url": reverse("iban_check"),
        }

    def review_rows(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        form = CustomerDetailsForm(data)
        form.is_valid()
        cleaned = form.cleaned_data
        is_business = data.get("customer_type") == CustomerType.BUSINESS
        is_sepa = data.get("payment_method") == PaymentMethod.SEPA
        person = [
            (_("Customer type"), dict(CustomerType.choices).get(data.get("customer_type"), "")),
            (_("Name"), f"{data.get('first_name', '')} {data.get('last_name', '')}"),
        ]
        if is_business:
            person += [(_("Company"), data.get("company_name", "")), (_("VAT id"), cleaned.get("vat_id", ""))]
        address = [
            (_("Street"), f"{data.get('street', '')} {data.get('house_number', '')}"),
            (_("Postcode and city"), f"{data.get('postcode', '')} {data.get('city', '')}"),
            (_("Country"), data.get("country", "")),
        ]
        if data.get("address_extra"):
            address.insert(1, (_("Address line 2"), data["address_extra"]))
        contact = [(_("E-mail"), data.get("email", "")), (_("Phone"), cleaned.get("phone", "") or "—")]
        payment = [(_("Payment method"), dict(PaymentMethod.choices).get(data.get("payment_method"), ""))]
        if is_sepa:
            payment += [
                (_("Account holder"), data.get("account_holder", "")),
                (_("IBAN"), validation.BankAccount(cleaned.get("iban", ""), "", "").formatted_iban),
                (_("BIC"), cleaned.get("bic", "")),
                (_("Bank"), cleaned.get("bank_name", "")),
                (_("Mandate reference"), data.get("mandate_reference", "")),
            ]
        return [
            {"step": "person", "title": _("Person"), "rows": person, "url": self.step_url("person")},
            {"step": "address", "title": _("Address"), "rows": address, "url": self.step_url("address")},
            {"step": "contact", "title": _("Contact"), "rows": contact, "url": self.step_url("contact")},
            {"step": "payment", "title": _("Payment"), "rows": payment, "url": self.step_url("payment")},
        ]

    def render_step(
        self, step: str, form: CustomerDetailsForm | None, data: dict[str, Any], *, push: bool = False
    ) -> HttpResponse:
        template = self.template_name
        if self.request.htmx and not self.request.htmx.boosted:
            template = f"{self.template_name}#wizard"
        response = render(self.request, template, self.context(step, form, data))
        if push:
            response["HX-Push-Url"] = self.step_url(step)
        return response

    # --- HTTP --------------------------------------------------------------
    def get(self, request: HttpRequest, step: str | None = None) -> HttpResponse:
        data = self.store().load()
        done = self.completed_steps(data)
        first_open = next((s for s in STEP_NAMES if s not in done), "review")
        if step is None:
            return redirect(self.step_url(first_open))
        if step not in STEP_NAMES:
            raise Http404
        if STEP_NAMES.index(step) > STEP_NAMES.index(first_open):
            return redirect(self.step_url(first_open))
        if step == "review":
            return self.render_step(step, None, data)
        form = CustomerDetailsForm(initial=self.initial_for(step, data), step=step)
        return self.render_step(step, form, data)

    def post(self, request: HttpRequest, step: str | None = None) -> HttpResponse:
        if step not in STEP_NAMES:
            raise Http404
        data = self.store().load()
        if step == "review":
            return self.submit(data)
        form = CustomerDetailsForm(request.POST, step=step)
        if not form.is_valid():
            # Keep what was typed, even when it is wrong, so nothing is lost.
            self.store().save_step(
                {
                    k: request.POST.get(k, "")
                    for k in STEP_FIELDS[step]
                    if k not in {"sepa_consent", "mandate_reference"}
                }
            )
            return self.render_step(step, form, self.store().load())
        values = {k: request.POST.get(k, "") for k in STEP_FIELDS[step] if k != "mandate_reference"}
        if step == "payment":
            values["sepa_consent"] = "on" if form.cleaned_data.get("sepa_consent") else ""
            # The reference shown in the mandate text is the one saved, whatever is posted.
            values["mandate_reference"] = data.get("mandate_reference") or new_mandate_reference()
        self.store().save_step(values)
        next_step = STEP_NAMES[STEP_NAMES.index(step) + 1]
        data = self.store().load()
        if request.htmx:
            if next_step == "review":
                return self.render_step(next_step, None, data, push=True)
            form = CustomerDetailsForm(initial=self.initial_for(next_step, data), step=next_step)
            return self.render_step(next_step, form, self.store().load(), push=True)
        return redirect(self.step_url(next_step))

    def submit(self, data: dict[str, Any]) -> HttpResponse:
        form = CustomerDetailsForm(data)
        if not form.is_valid():
            first_bad = next((s for s in STEP_NAMES[:-1] if any(f in form.errors for f in STEP_FIELDS[s])), "person")
            messages.error(self.request, _("Some details need your attention before we can save them."))
            bad_form = CustomerDetailsForm(self.step_data(data, first_bad), step=first_bad)
            bad_form.is_valid()
            if self.request.htmx:
                return self.render_step(first_bad, bad_form, data, push=True)
            return redirect(self.step_url(first_bad))
        try:
            account = customer_onboard(
                data=form.to_onboarding_data(signed_date=clock.today()),
                user=None if self.staff_mode else self.request.user,
            )
        except EmailAlreadyUsed as error:
            messages.error(self.request, str(error))
            return redirect(self.step_url("contact"))
        self.store().clear()
        url = self.done_url(account)
        if self.request.htmx:
            return HttpResponseClientRedirect(url)
        return redirect(url)

    def done_url(self, account: Account) -> str:
        return reverse(self.done_url_name)


@method_decorator(login_required, name="dispatch")
class CustomerOnboardingWizard(OnboardingWizard):
    pass


@login_required
def onboarding_done(request: HttpRequest) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.prefetch_related("accounts__mandates"), user=request.user)
    account = customer.accounts.order_by("-id").first()
    mandate = account.mandates.filter(status="ACTIVE").first() if account else None
    return render(
        request, "accounts/onboarding_done.html", {"customer": customer, "account": account, "mandate": mandate}
    )


@require_POST
def iban_check(request: HttpRequest) -> HttpResponse:
    """Tell the bank and BIC for an IBAN while it is typed (HTMX partial)."""
    if not request.user.is_authenticated:
        raise Http404
    value = request.POST.get("iban", "")
    context: dict[str, Any] = {"value": value}
    if value.strip():
        try:
            context["bank"] = validation.check_iban(value)
        except ValidationError as error:
            context["error"] = error.messages[0]
    return render(request, "accounts/_iban_check.html", context)
