/**
 * Token formats: the kind prefixes of the secrets the directory issues, and the grammar of the
 * non-secret ids that name them.
 *
 * Secrets are 256 random bits, base64url, behind a kind prefix (`pdj_` join token, `pdn_` node
 * credential) so a leaked one is recognisable by secret scanners and a wrong-kind use gets a
 * clear 403. The directory stores only their hashes.
 */
export const JOIN_TOKEN_PREFIX = "pdj_";
export const NODE_CREDENTIAL_PREFIX = "pdn_";

/**
 * Join token ids (not the secrets): short base64url strings the directory generates. New ids
 * never start with "-", which a command line would take for an option (`peerdir token revoke
 * <cluster> <id>`); the grammar still accepts such ids so older tokens stay revocable.
 */
export const JOIN_TOKEN_ID = /^[A-Za-z0-9_-]{1,64}$/;
