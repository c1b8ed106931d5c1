"""Two-factor pages: the code after the password, setting up an app, recovery codes, the security page."""

from django import forms
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kpi_portal import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def next_url(request: HttpRequest) -> str:
    """Where to go afterwards: the ``next`` given (on this site only), else the start page."""
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("home")


def code_error(form: CodeForm, check: two_factor.CodeCheck) -> int:
    """Put the reason a code was refused on the form; the status to answer with."""
    if check.wait_until is not None:
        message = _("Too many wrong codes. Wait %(seconds)s seconds, then try again.")
        form.add_error("code", message % {"seconds": check.wait_seconds})
        return 429
    form.add_error("code", _("That code is not right (or was already used). Try again."))
    return 400


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code of the user's authenticator app, or a recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(next_url(request))
    if not two_factor.has_app(user):
        if two_factor.required_for(user):
            return two_factor.redirect_with_next("two_factor:setup", next_url(request))
        return redirect(next_url(request))
    form = CodeForm(request.POST or None)
    status = 200
    if form.is_valid():
        check = two_factor.check_code(user, form.cleaned_data["code"], request=request)
        if check.device is not None:
            two_factor.complete_sign_in(request, check.device)
            return redirect(next_url(request))
        status = code_error(form, check)
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": next_url(request)}
    return render(request, "registration/two_factor_verify.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), confirm with a code."""
    user = request.user
    if two_factor.has_app(user) and not user.is_verified():
        # Replacing an app needs the current one (or a recovery code) first.
        return two_factor.redirect_with_next("two_factor:verify", request.get_full_path())
    device = two_factor.enrolment_device(user)
    form = CodeForm(request.POST or None)
    status = 200
    if form.is_valid():
        check = two_factor.check_code(user, form.cleaned_data["code"], device=device, request=request)
        if check.device is not None:
            codes = two_factor.confirm_enrolment(user, check.device)
            two_factor.complete_sign_in(request, check.device)
            request.session[two_factor.NEW_CODES_KEY] = codes
            return two_factor.redirect_with_next("two_factor:recovery_codes", next_url(request))
        status = code_error(form, check)
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "next": next_url(request),
        "qr_code": two_factor.qr_data_uri(device),
        "secret": two_factor.secret_text(device),
        "required": two_factor.required_for(user),
    }
    return render(request, "registration/two_factor_setup.html", context, status=status)


@never_cache
@require_safe
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once (they are gone from the session once shown)."""
    codes = request.session.pop(two_factor.NEW_CODES_KEY, None)
    if not codes:
        return redirect("two_factor:security")
    context = {"codes": codes, "next": next_url(request)}
    return render(request, "registration/two_factor_recovery_codes.html", context)


@never_cache
@require_safe
def security(request: HttpRequest) -> HttpResponse:
    """The user's two-factor state: set up or replace the app, new recovery codes, turn it off."""
    user = request.user
    context = {
        "has_app": two_factor.has_app(user),
        "required": two_factor.required_for(user),
        "codes_left": two_factor.recovery_codes_left(user),
        "form": CodeForm(),
    }
    return render(request, "account/security.html", context)


@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace the recovery codes (the session was verified: TwoFactorMiddleware)."""
    if not two_factor.has_app(request.user):
        return redirect("two_factor:security")
    request.session[two_factor.NEW_CODES_KEY] = two_factor.new_recovery_codes(request.user)
    return two_factor.redirect_with_next("two_factor:recovery_codes", reverse("two_factor:security"))


@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    """Unit staff and executives may turn two-factor sign-in off again, with a current code."""
    user = request.user
    if two_factor.required_for(user):
        messages.error(request, _("Two-step sign-in is required for your role and cannot be turned off."))
        return redirect("two_factor:security")
    form = CodeForm(request.POST)
    if form.is_valid():
        check = two_factor.check_code(user, form.cleaned_data["code"], request=request)
        if check.device is not None:
            two_factor.remove_devices(user)
            messages.success(request, _("Two-step sign-in is turned off."))
            return redirect("two_factor:security")
        status = code_error(form, check)
    else:
        status = 400
    context = {
        "has_app": two_factor.has_app(user),
        "required": False,
        "codes_left": two_factor.recovery_codes_left(user),
        "form": form,
    }
    return render(request, "account/security.html", context, status=status)


@login_not_required
@require_safe
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in page: the portal's, so that the admin gets the second factor too."""
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    return redirect(f"{reverse('login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")
