// Loaded as a classic script at the start of <body>, so the classes are in
// place before the page is drawn (GOV.UK Frontend's page template does this
// with an inline script; Parley keeps scripts out of the HTML for its CSP).
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
