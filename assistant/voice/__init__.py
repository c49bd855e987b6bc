"""Voice questions: offline speech-to-text (faster-whisper with the bundled Whisper base weights)."""
