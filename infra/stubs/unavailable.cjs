/**
 * Shared by the stubs in this folder. Each stub replaces (esbuild `alias`, see
 * STUBBED_MODULES in infra/bundling.ts) a module that `soap` or `axios` loads
 * for a feature SEQR's plain SOAP 1.1 over HTTPS never uses. Loading a stub
 * costs nothing; calling it throws this error, naming the feature, so a
 * change that starts to need one fails loudly instead of misbehaving.
 */
'use strict';

exports.unavailable = function unavailable(moduleName, feature) {
  return new Error(
    `${moduleName} is not in this Lambda bundle: ${feature} is not used by SEQR's plain SOAP 1.1. ` +
      `Remove '${moduleName}' from STUBBED_MODULES in infra/bundling.ts if it is needed now.`,
  );
};
