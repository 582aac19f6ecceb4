"""The document-type classifier: labelled examples, the training code and the trained model."""
