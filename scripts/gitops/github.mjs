// The few GitHub API calls the action makes, over fetch (Node >= 20), with the job's GITHUB_TOKEN.
// GITHUB_API_URL and GITHUB_GRAPHQL_URL (both set by the runner) make it work on GitHub Enterprise
// Server too, and let tests use a local server.

export function githubClient({ token, apiUrl = "https://api.github.com", graphqlUrl, repo }) {
  if (!token) throw new Error("GITHUB_TOKEN is not set: pass `github-token` to the action (the default is the job's token)");
  if (!repo) throw new Error("GITHUB_REPOSITORY is not set");
  // GHES serves REST under /api/v3 and GraphQL at /api/graphql; github.com at / and /graphql.
  const graphqlEndpoint = graphqlUrl || `${apiUrl.replace(/\/v3\/?$/, "")}/graphql`;
  async function request(method, url, label, body) {
    const res = await fetch(url, {
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
      const err = new Error(`GitHub ${method} ${label}: ${res.status} ${text.slice(0, 300)}`);
      err.status = res.status;
      throw err;
    }
    return text ? JSON.parse(text) : undefined;
  }
  const call = (method, path, body) => request(method, `${apiUrl}${path}`, path, body);
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
    /**
     * Who this token is: { login, id }. REST `GET /user` is refused to installation tokens (the
     * job's GITHUB_TOKEN, GitHub Apps); GraphQL's `viewer` answers for those and for personal tokens.
     */
    async viewer() {
      const r = await request("POST", graphqlEndpoint, "graphql viewer", { query: "query { viewer { login databaseId } }" });
      const v = r?.data?.viewer;
      if (typeof v?.login !== "string" || v.login === "") {
        throw new Error(
          `GitHub graphql viewer: no login in the answer${r?.errors ? `: ${JSON.stringify(r.errors).slice(0, 300)}` : ""}`,
        );
      }
      return { login: v.login, id: typeof v.databaseId === "number" ? v.databaseId : undefined };
    },
    listComments: (issue) => all(`/repos/${repo}/issues/${issue}/comments`),
    createComment: (issue, body) => call("POST", `/repos/${repo}/issues/${issue}/comments`, { body }),
    updateComment: (id, body) => call("PATCH", `/repos/${repo}/issues/comments/${id}`, { body }),
    /** The pull requests a commit belongs to (for a merge commit on the base branch: the merged one). */
    pullsForCommit: (sha) => call("GET", `/repos/${repo}/commits/${encodeURIComponent(sha)}/pulls`),
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
