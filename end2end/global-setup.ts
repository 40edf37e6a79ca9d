// `cargo leptos end-to-end` starts the server and Playwright at the same moment: wait until the app answers.
export default async function globalSetup() {
  const baseURL = "http://127.0.0.1:3000";
  const deadline = Date.now() + 120_000;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseURL}/api/health`);
      if (response.ok) return;
      lastError = `status ${response.status}`;
    } catch (e) {
      lastError = String(e);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the app at ${baseURL} did not become ready within 120 s (last: ${lastError})`);
}
