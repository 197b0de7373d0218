// JSM REST (servicedeskapi) errors: `{"errorMessage", "i18nErrorMessage":{"i18nKey","parameters"}}`. The
// shape is seen in public clients that parse servicedeskapi errors [code]; the texts and keys are assumed.
import { SimError } from "../../http.js";

export const jsmError = (status, message, i18nKey, parameters = []) =>
  new SimError(status, { errorMessage: message, i18nErrorMessage: { i18nKey, parameters } });

export const organizationNotFound = (id) =>
  jsmError(404, `The organization with id ${id} does not exist.`, "sd.organization.error.not.found", [String(id)]);
