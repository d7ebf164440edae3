/** The admin token every test directory is started with. Never used outside tests. */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";
