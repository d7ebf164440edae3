/** The admin tokens every test directory is started with. Never used outside tests. */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";
export const TEST_ADMIN_READ_TOKEN = "test-admin-read-token-0123456789";
