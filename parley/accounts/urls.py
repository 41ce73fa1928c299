"""Sign-in, sign-out and your account. Mounted at the site root."""

from django.urls import URLPattern, path

from parley.accounts import sso_views, views

app_name = "accounts"
urlpatterns: list[URLPattern] = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("sign-in/recovery-code/", views.sign_in_recovery_code, name="sign-in-recovery-code"),
    # Single sign-on (Microsoft Entra ID); 404 unless PARLEY_OIDC_ENABLED=1.
    path("sign-in/organisation/", sso_views.sso_start, name="sso-start"),
    path("sign-in/organisation/callback/", sso_views.sso_callback, name="sso-callback"),
    # Invitations and resets: the emailed link, then the page to choose a password.
    path("sign-in/forgotten-password/", views.forgotten_password, name="forgotten-password"),
    path("sign-in/link/<str:secret>/", views.account_link, name="link"),
    path("sign-in/set-password/", views.set_password, name="set-password"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("account/", views.account, name="account"),
    path(
        "account/set-up-authenticator/",
        views.set_up_authenticator,
        name="set-up-authenticator",
    ),
    path("account/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("account/password/", views.change_password, name="change-password"),
]
