using Switchboard.Metrics;

namespace Switchboard.Tests.Metrics;

public sealed class ServiceLevelBandTests
{
    [Theory]
    [InlineData(0, ServiceLevelBand.Stellar)]
    [InlineData(59.999, ServiceLevelBand.Stellar)]
    [InlineData(60, ServiceLevelBand.AboveAverage)]
    [InlineData(299.999, ServiceLevelBand.AboveAverage)]
    [InlineData(300, ServiceLevelBand.Average)]
    [InlineData(599.999, ServiceLevelBand.Average)]
    [InlineData(600, ServiceLevelBand.BelowAverage)] // 10–30 min, which the published bands leave open
    [InlineData(1800, ServiceLevelBand.BelowAverage)]
    [InlineData(3600, ServiceLevelBand.BelowAverage)]
    [InlineData(3600.001, ServiceLevelBand.Unacceptable)]
    [InlineData(86400, ServiceLevelBand.Unacceptable)]
    public void BandsTurnAtTheirPublishedEdges(double meanSeconds, ServiceLevelBand band) =>
        Assert.Equal(band, ServiceLevelBands.Classify(TimeSpan.FromSeconds(meanSeconds)));

    [Fact]
    public void WithoutAnyFirstResponseThereIsNoBand() => Assert.Null(ServiceLevelBands.Classify(null));
}
