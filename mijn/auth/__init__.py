"""Login per audience through OIDC, the portal session and the development provider."""
