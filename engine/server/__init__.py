"""Front ends over the network: the classroom server's web app and SSH listener (`dualpower serve`)."""
