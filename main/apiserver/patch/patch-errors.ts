// The Status errors kube-apiserver answers when a patch does not apply (endpoints/handlers/patch.go
// and responsewriters.ErrorToAPIStatus), shared by the JSON, merge and strategic merge engines.
import { StatusError } from '../../api/status.ts';

/**
 * A failure kube-apiserver reports from a plain Go error (responsewriters.ErrorToAPIStatus):
 * code 500 and an empty reason, so kubectl prints `Error from server: <message>`.
 */
export function unknownError(message: string): StatusError {
  return new StatusError(500, '', message);
}

/**
 * errors.NewGenericServerResponse(422, …): what kube-apiserver answers for a JSON patch that
 * does not apply and a few strategic merge patch errors. The client sees only this fixed text;
 * `detail` (the engine's own error) is kept as the error's cause for logs and tests.
 */
export function rejectedPatch(detail: string): StatusError {
  const err = new StatusError(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    {},
  );
  err.cause = new Error(detail);
  return err;
}
