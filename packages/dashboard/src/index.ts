// The dashboard's server half: the HTTP API and the static SPA host (`pollinator ui`).
