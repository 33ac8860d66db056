"""The portal: pages for citizens and businesses."""
