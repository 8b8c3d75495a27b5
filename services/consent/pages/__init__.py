"""The declarant's web pages (French), served by the consent service.

Security: strict CSP (`shared.http.STRICT_CSP`: no script at all, same-origin styles), autoescaped
Jinja templates, `Cache-Control: no-store`. The management token travels in an HttpOnly,
SameSite=Strict cookie scoped to `/consent/espace` (Secure in production); SameSite=Strict plus
`form-action 'self'` is the CSRF defence of these same-origin forms.
"""
