/** The admin tokens every test directory is started with. Never used outside tests. */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";
export const TEST_ADMIN_READ_TOKEN = "test-admin-read-token-0123456789";
/** The TOKEN_KEY every test directory mints and verifies tokens with, and a retired one. */
export const TEST_TOKEN_KEY = "test-token-key-0123456789abcdef0123456789abcdef";
export const TEST_TOKEN_KEY_OLD = "test-token-key-retired-0123456789abcdef0123456789";
