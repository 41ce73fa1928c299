// Starts GOV.UK Frontend and MoJ Frontend components on every page.
import { initAll as initGovukFrontend } from "../govuk-frontend/govuk-frontend.min.js";
import { initAll as initMojFrontend } from "../moj-frontend/moj-frontend.min.js";

if (!document.body.classList.contains("js-enabled")) {
  document.body.classList.add("js-enabled", "govuk-frontend-supported");
}

initGovukFrontend();
initMojFrontend();
