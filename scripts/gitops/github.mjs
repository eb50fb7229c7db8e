// The few GitHub REST calls the action makes, over fetch (Node >= 20), with the job's GITHUB_TOKEN.
// GITHUB_API_URL makes it work on GitHub Enterprise Server too (and lets tests use a local server).

export function githubClient({ token, apiUrl = "https://api.github.com", repo }) {
  if (!token) throw new Error("GITHUB_TOKEN is not set: pass `github-token` to the action (the default is the job's token)");
  if (!repo) throw new Error("GITHUB_REPOSITORY is not set");
  async function call(method, path, body) {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${token}`,
        "x-github-api-version": "2022-11-28",
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) {
      const err = new Error(`GitHub ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
      err.status = res.status;
      throw err;
    }
    return text ? JSON.parse(text) : undefined;
  }
  async function all(path) {
    const items = [];
    for (let page = 1; ; page++) {
      const sep = path.includes("?") ? "&" : "?";
      const batch = await call("GET", `${path}${sep}per_page=100&page=${page}`);
      items.push(...batch);
      if (batch.length < 100) return items;
    }
  }
  return {
    listComments: (issue) => all(`/repos/${repo}/issues/${issue}/comments`),
    createComment: (issue, body) => call("POST", `/repos/${repo}/issues/${issue}/comments`, { body }),
    updateComment: (id, body) => call("PATCH", `/repos/${repo}/issues/comments/${id}`, { body }),
    openIssuesWithLabel: (label) => all(`/repos/${repo}/issues?state=open&labels=${encodeURIComponent(label)}`),
    createIssue: (title, body, labels) => call("POST", `/repos/${repo}/issues`, { title, body, labels }),
    updateIssue: (n, fields) => call("PATCH", `/repos/${repo}/issues/${n}`, fields),
    async ensureLabel(name, color, description) {
      try {
        await call("POST", `/repos/${repo}/labels`, { name, color, description });
      } catch (err) {
        if (err.status !== 422) throw err; // 422: it exists already
      }
    },
  };
}
