"""Members' own answers on loneliness and life satisfaction, asked with their consent."""
