"""Sign-in, sign-out and your account. Mounted at the site root."""

from django.urls import URLPattern, path

from parley.accounts import sso, views

app_name = "accounts"
urlpatterns: list[URLPattern] = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("sign-in/recovery-code/", views.sign_in_recovery_code, name="sign-in-recovery-code"),
    # Single sign-on (Microsoft Entra ID); 404 unless PARLEY_OIDC_ENABLED=1.
    path("sign-in/organisation/", sso.sso_start, name="sso-start"),
    path("sign-in/organisation/callback/", sso.sso_callback, name="sso-callback"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("account/", views.account, name="account"),
    path(
        "account/set-up-authenticator/",
        views.set_up_authenticator,
        name="set-up-authenticator",
    ),
    path("account/recovery-codes/", views.recovery_codes, name="recovery-codes"),
]
