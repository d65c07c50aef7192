"""The team store: shared secrets on OpenBao or HashiCorp Vault (KV version 2), through hvac.

An adapter, not part of the core: it needs `nbsecrets[team]` (hvac), and is
imported only when a store of kind "openbao" is first opened. The core names
it in its registry of kinds; nothing here is imported by `import nbsecrets`
or `%load_ext nbsecrets`.
"""
