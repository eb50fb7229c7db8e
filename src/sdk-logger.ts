// Given as every AWS SDK client's `logger` (the Secrets Manager, STS and KMS clients of a run, and the
// KMS clients of the sops layer): the SDK then logs through it instead of falling back to
// console.warn, as it does with its default no-op logger — e.g. the multi-line warning that
// AWS_PROFILE and static keys are both set. sopsync says what matters itself.
export const QUIET_SDK_LOGGER = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};
