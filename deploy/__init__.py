"""Tools that boot the production stack on one machine (deploy/stack.sh)."""
