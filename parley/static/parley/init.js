// Starts GOV.UK Frontend's components on every page. MoJ Frontend's scripts are not
// loaded: the parts of it Parley uses (the filter beside the register, the timeline)
// are styles only.
import { initAll as initGovukFrontend } from "../govuk-frontend/govuk-frontend.min.js";

if (!document.body.classList.contains("js-enabled")) {
  document.body.classList.add("js-enabled", "govuk-frontend-supported");
}

initGovukFrontend();
